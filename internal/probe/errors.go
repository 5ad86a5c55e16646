package probe

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/splx-ai/splx-probe-action/internal/escape"
)

// ErrorResponse is an API answer with a status other than 2xx. Message and
// Code come from the documented {"error":{...}} body when there is one; they
// are untrusted text and must be escaped wherever they are shown.
type ErrorResponse struct {
	// Op names the operation, e.g. "trigger test run".
	Op         string
	StatusCode int
	Code       string
	Message    string
	// Details is a short excerpt of a 400's validation details or of a body
	// that was not the documented JSON.
	Details string
}

func (e *ErrorResponse) Error() string {
	s := fmt.Sprintf("%s: HTTP %d %s", e.Op, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Code != "" {
		s += " (" + escape.Line(e.Code, 64) + ")"
	}
	if e.Message != "" {
		s += ": " + escape.Line(e.Message, 300)
	}
	if e.Details != "" {
		s += ": " + e.Details
	}
	return s
}

// Unauthorized reports a 401: a missing, wrong or expired token.
func (e *ErrorResponse) Unauthorized() bool { return e.StatusCode == http.StatusUnauthorized }

// Forbidden reports a 403: the token's user may not use this target.
func (e *ErrorResponse) Forbidden() bool { return e.StatusCode == http.StatusForbidden }

// BadRequest reports a 400: the API rejected the input.
func (e *ErrorResponse) BadRequest() bool { return e.StatusCode == http.StatusBadRequest }

// AmbiguousTriggerError means a trigger may or may not have created a run:
// the request was sent but no usable answer came back. It is never retried,
// because a trigger spends credits.
type AmbiguousTriggerError struct {
	Err error
}

func (e *AmbiguousTriggerError) Error() string {
	return fmt.Sprintf("%v; a test run may have been started: check the target's test runs in the SPLX Probe web UI before running this again", e.Err)
}

func (e *AmbiguousTriggerError) Unwrap() error { return e.Err }

// ErrRedirectRefused is returned when the server redirects to another
// scheme, host or port, which would carry the token elsewhere.
var ErrRedirectRefused = errors.New("refused a redirect to another host: the token is only sent to the configured API host")

// ErrBodyTooLarge is returned when a response exceeds its size cap.
var ErrBodyTooLarge = errors.New("response body exceeds the size limit")

// TooLargeError is an answer over the tool's size limit for it. Asking
// again gets the same answer: it is never retried, and the user is told
// what the limit is rather than to try again. It is ErrBodyTooLarge.
type TooLargeError struct {
	// Limit is the cap, in bytes.
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("the answer exceeds the size limit (%d MiB)", e.Limit>>20)
}

// Is makes a TooLargeError match ErrBodyTooLarge.
func (e *TooLargeError) Is(target error) bool { return target == ErrBodyTooLarge }

// ErrNotPDF is a report download whose answer is not a PDF (a report not
// ready yet, or an error page with status 200).
var ErrNotPDF = errors.New("the answer is not a PDF")

// TriggerPathError is a 404 or 405 from the documented trigger path while no
// workspace id is set: nothing was created, and the workspace-scoped path
// needs the id.
type TriggerPathError struct {
	Err error
}

func (e *TriggerPathError) Error() string {
	return fmt.Sprintf("%v; nothing was created: this API may only take the workspace-scoped trigger path, so set workspace-id (the number in the web UI's URL, /w/163/…)", e.Err)
}

func (e *TriggerPathError) Unwrap() error { return e.Err }
