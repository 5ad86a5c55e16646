// Package rerun keeps the record that lets a re-run of a CI job re-attach
// to the test run an earlier attempt triggered, instead of paying for a new
// one. The API has no way to list a target's runs, so the tool keeps the
// link itself, in a small file that the CI platform's cache carries from
// one attempt to the next.
//
// A record holds only what decides whether a later attempt may reuse the
// run, and nothing secret. Reading never fails a job: every reason not to
// reuse is an error the caller shows in one line before triggering.
package rerun

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/splx-ai/splx-probe-action/internal/atomic"
)

// Schema names the file's kind, so that a foreign JSON file is recognised.
const Schema = "splx-probe-action/rerun"

// Version is the record layout this build writes and reads.
const Version = 1

// maxSize caps what is read: a record is a few hundred bytes.
const maxSize = 64 << 10

// Identity is what a later attempt must share with the one that triggered
// for the run to be reused: the same CI run, job and step, commit, API
// host, target, probes and name.
type Identity struct {
	// Platform is the CI platform's name (internal/ci's registry).
	Platform string `json:"platform"`
	// Repository is owner/name or the project path.
	Repository string `json:"repository"`
	// CIRun is the run that re-runs keep: GitHub's run id, GitLab's
	// pipeline id, CircleCI's workflow workspace id.
	CIRun string `json:"ciRun"`
	// Job is the job's name.
	Job string `json:"job"`
	// CommentKey is the comment-key setting as given ("" for its default,
	// which is derived from the workflow, job and target).
	CommentKey string `json:"commentKey"`
	// Commit is the full commit SHA.
	Commit string `json:"commit"`
	// APIHost is the API the run lives on: a run id means nothing on the
	// other region's platform.
	APIHost  string  `json:"apiHost"`
	TargetID int32   `json:"targetId"`
	ProbeIDs []int32 `json:"probeIds"`
	// Name is the test run's name as sent.
	Name string `json:"name"`
}

// Record is the state file's content: the run an attempt triggered and the
// identity it was triggered for.
type Record struct {
	Schema  string `json:"schema"`
	Version int    `json:"version"`
	Identity
	TestRunID int32 `json:"testRunId"`
	// Attempt is the attempt that triggered: GitHub's run attempt, GitLab's
	// job id, CircleCI's job number.
	Attempt     string    `json:"attempt"`
	TriggeredAt time.Time `json:"triggeredAt"`
}

// InvalidError says why a state file holds no usable record.
type InvalidError struct {
	Reason string
}

func (e *InvalidError) Error() string { return e.Reason }

// Read reads the record at path. A missing file is an error that
// errors.Is(err, fs.ErrNotExist) recognises; a file that is not a valid
// record of this version is an *InvalidError.
func Read(path string) (*Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	if len(data) > maxSize {
		return nil, &InvalidError{Reason: fmt.Sprintf("it is larger than %d KiB, which no record is", maxSize>>10)}
	}
	var head struct {
		Schema  string `json:"schema"`
		Version int    `json:"version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, &InvalidError{Reason: "it is not valid JSON (a corrupt or truncated file)"}
	}
	switch {
	case head.Schema != Schema:
		return nil, &InvalidError{Reason: "it is not a splx-probe-action re-run record"}
	case head.Version != Version:
		return nil, &InvalidError{Reason: fmt.Sprintf("it is a version %d record; this version of the tool reads version %d", head.Version, Version)}
	}
	var r Record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, &InvalidError{Reason: "it is not a valid record (a field has the wrong type)"}
	}
	if r.TestRunID <= 0 {
		return nil, &InvalidError{Reason: "it names no test run"}
	}
	return &r, nil
}

// Write replaces the file at path with r in one step (atomic.WriteFile,
// synced before the rename), so that a job killed mid-write
// leaves the old record or the new one, never half of one.
func Write(path string, r *Record) error {
	r.Schema, r.Version = Schema, Version
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	return atomic.WriteFile(path, func(f *os.File) error {
		if _, err := f.Write(append(data, '\n')); err != nil {
			return err
		}
		return f.Sync()
	})
}

// Mismatch says how the record's identity differs from want, naming the
// first field that differs ("" when they match). Values come from the
// file: the caller escapes the text before printing it.
func (id Identity) Mismatch(want Identity) string {
	diff := func(what, got, want string) string {
		if got == want {
			return ""
		}
		return fmt.Sprintf("it was triggered for %s %s, not %s", what, orNone(got), orNone(want))
	}
	for _, d := range []string{
		diff("platform", id.Platform, want.Platform),
		diff("repository", id.Repository, want.Repository),
		diff("CI run", id.CIRun, want.CIRun),
		diff("job", id.Job, want.Job),
		diff("comment-key", id.CommentKey, want.CommentKey),
		diff("API host", id.APIHost, want.APIHost),
		diff("target", strconv.Itoa(int(id.TargetID)), strconv.Itoa(int(want.TargetID))),
		diff("probes", joinSorted(id.ProbeIDs), joinSorted(want.ProbeIDs)),
		diff("commit", id.Commit, want.Commit),
		diff("name", strconv.Quote(id.Name), strconv.Quote(want.Name)),
	} {
		if d != "" {
			return d
		}
	}
	return ""
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// joinSorted prints probe ids in order: the same probes in another order
// are the same test.
func joinSorted(ids []int32) string {
	s := slices.Clone(ids)
	slices.Sort(s)
	s = slices.Compact(s)
	out := ""
	for i, id := range s {
		if i > 0 {
			out += ","
		}
		out += strconv.Itoa(int(id))
	}
	return out
}
