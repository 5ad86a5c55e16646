package ci

import (
	"strings"
)

// Plain is any other log, or a terminal: the fallback.
const Plain Platform = "plain"

// plain reports to a terminal or any log that is not a known CI: readable
// lines, colour and a live progress bar only on a terminal.
type plain struct {
	o     Options
	color bool
	// bar is true while a progress bar occupies the current terminal line.
	bar      bool
	progress changed
}

func newPlain(o Options) *plain {
	return &plain{o: o, color: o.TTY && !noColor(o.Env) && o.Env["TERM"] != "dumb"}
}

// newColourLog is plain for a CI log that renders ANSI colour though it is
// no terminal (GitLab, CircleCI); NO_COLOR still turns it off.
func newColourLog(o Options) *plain {
	p := newPlain(o)
	p.color = !noColor(o.Env)
	return p
}

// noColor is the NO_COLOR convention: set and not empty.
func noColor(env map[string]string) bool { return env["NO_COLOR"] != "" }

func (p *plain) paint(code, s string) string {
	if !p.color {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

// endBar moves past a live progress bar before other output.
func (p *plain) endBar() {
	if p.bar {
		printf(p.o.Stdout, "\n")
		p.bar = false
	}
}

func (p *plain) Begin([]string) {}

func (p *plain) Info(msg string) {
	p.endBar()
	printf(p.o.Stdout, "%s\n", line(msg))
}

func (p *plain) Debug(msg string) {
	if p.o.Debug {
		p.endBar()
		printf(p.o.Stderr, "debug: %s\n", line(msg))
	}
}

func (p *plain) Notice(title, msg string) {
	p.endBar()
	printf(p.o.Stdout, "%s %s\n", p.paint("1;32", line(title)+":"), line(msg))
}

func (p *plain) Warning(title, msg string) {
	p.endBar()
	printf(p.o.Stderr, "%s %s\n", p.paint("1;33", "warning: "+line(title)+":"), line(msg))
}

func (p *plain) Error(title, msg string) {
	p.endBar()
	printf(p.o.Stderr, "%s %s\n", p.paint("1;31", "error: "+line(title)+":"), line(msg))
}

func (p *plain) Group(title string) {
	p.endBar()
	printf(p.o.Stdout, "%s\n", p.paint("1", "── "+line(title)))
}

func (p *plain) EndGroup() { p.endBar() }

func (p *plain) Progress(pr Progress) {
	if !p.o.TTY {
		if p.progress.is(pr.Key()) {
			printf(p.o.Stdout, "%s\n", pr.Line())
		}
		return
	}
	// A terminal redraws one line in place: it must never wrap, or each
	// update leaves a row behind.
	width := p.o.Width
	if width <= 0 {
		width = 80
	}
	avail := width - 1 // the cursor's column
	bar := ""
	if cells := barWidth(avail); cells > 0 {
		filled := min(max(int(pr.Percent/100*float64(cells)), 0), cells)
		bar = p.paint("36", strings.Repeat("█", filled)+strings.Repeat("░", cells-filled)) + " "
		avail -= cells + 1
	}
	printf(p.o.Stdout, "\r\x1b[K%s%s", bar, pr.Fit(avail))
	p.bar = true
}

// barWidth is the progress bar's width for a line of avail columns: none
// on a very narrow terminal, so that the words keep their room.
func barWidth(avail int) int {
	switch {
	case avail >= 100:
		return 24
	case avail >= 60:
		return 12
	}
	return 0
}

// Table prints the results table, the rows that break the gate in red,
// those without a verdict in yellow, where colour is on.
func (p *plain) Table(lines []TableLine) {
	p.endBar()
	for i, l := range lines {
		text := line(l.Text)
		switch {
		case l.Tone == ToneBad:
			text = p.paint("31", text)
		case l.Tone == ToneUnknown:
			text = p.paint("33", text)
		case i == 0:
			text = p.paint("1", text) // the header
		}
		printf(p.o.Stdout, "%s\n", text)
	}
}

func (p *plain) Outputs(outs []Output) {
	p.endBar()
	printf(p.o.Stdout, "Outputs:\n")
	for _, o := range outs {
		printf(p.o.Stdout, "  %s: %s\n", o.Name, line(o.Value))
	}
}

func (p *plain) Summary(string) {}

// plainAnnotations is how many probe annotations of each kind a log shows
// before one line says how many more there are.
const plainAnnotations = 8

// Annotate lists the probes, then the verdict: the log ends with it.
func (p *plain) Annotate(verdict Note, errs, warns []Note) {
	annotateWithin(p, errs, warns, plainAnnotations+1, plainAnnotations+1)
	verdictNote(p, verdict)
}
