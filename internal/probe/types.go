package probe

import "strings"

// TriggerRequest is the body of POST /api/v2/test-run/trigger. All five
// documented fields are always sent.
type TriggerRequest struct {
	TargetID           int32   `json:"targetId"`
	ProbeIDs           []int32 `json:"probeIds"`
	Name               string  `json:"name"`
	NotifyWhenFinished bool    `json:"notifyWhenFinished"`
	RunAIAnalysis      bool    `json:"runAiAnalysis"`
}

// TriggerResponse is the answer to a trigger.
type TriggerResponse struct {
	TestRunID int32 `json:"testRunId"`
	// Path is the trigger path that answered (TriggerPath or the
	// workspace-scoped one).
	Path string `json:"-"`
}

// TestRunStatus is the document served by GET /api/v2/test-run/{id}/status.
// Unknown fields are ignored; missing ones stay zero.
type TestRunStatus struct {
	TestRunID     int32  `json:"testRunId"`
	ExecutionDate string `json:"executionDate"`
	Status        string `json:"status"`
	ProbeRuns     []Run  `json:"probeRuns"`
	// Shape is what the answer looked like: field names and types.
	Shape Shape `json:"-"`
}

// Run is a probe run: one probe's part of a test run. Failed counts successful
// attacks (findings); Error counts test cases that could not be evaluated.
// ProbeID is 0 when null (custom probes): it may also be in another id space
// than the trigger's probeIds, so nothing relies on it alone.
type Run struct {
	ProbeName   string `json:"probeName"`
	ProbeRunID  int64  `json:"probeRunId"`
	ProbeID     int64  `json:"probeId"`
	TotalCount  int64  `json:"totalCount"`
	ErrorCount  int64  `json:"errorCount"`
	PassedCount int64  `json:"passedCount"`
	FailedCount int64  `json:"failedCount"`
	// ProcessedCount is nil when the answer has none (the detailed probe-run
	// document has it; the documented summary does not).
	ProcessedCount *int64 `json:"processedCount"`
	Status         string `json:"status"`
}

// Done is the number of evaluated test cases.
func (p Run) Done() int64 { return p.PassedCount + p.FailedCount + p.ErrorCount }

// Phase is a test run status reduced to what the tool acts on.
type Phase int

// The phases of a test run. Unknown statuses count as running: the wait's
// timeout bounds them.
const (
	PhaseRunning Phase = iota
	PhaseFinished
	PhaseCanceled
	PhaseError
)

// PhaseOf classifies an API status, case-insensitively, taking both
// spellings of cancelled.
func PhaseOf(status string) Phase {
	switch strings.ToUpper(strings.TrimSpace(status)) {
	case "FINISHED":
		return PhaseFinished
	case "CANCELED", "CANCELLED":
		return PhaseCanceled
	case "ERROR":
		return PhaseError
	}
	return PhaseRunning
}

// Terminal reports whether the phase is final.
func (p Phase) Terminal() bool { return p != PhaseRunning }
