package ci

import (
	"strings"

	"github.com/splx-ai/splx-probe-action/internal/escape"
)

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
	_, noColor := o.Env["NO_COLOR"]
	return &plain{o: o, color: o.TTY && !(noColor && o.Env["NO_COLOR"] != "") && o.Env["TERM"] != "dumb"}
}

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
	text := pr.Line()
	if !p.progress.is(text) {
		return
	}
	if !p.o.TTY {
		printf(p.o.Stdout, "%s\n", text)
		return
	}
	const width = 24
	filled := int(pr.Percent / 100 * width)
	if filled > width {
		filled = width
	}
	if filled < 0 {
		filled = 0
	}
	bar := strings.Repeat("█", filled) + strings.Repeat("░", width-filled)
	printf(p.o.Stdout, "\r\x1b[K%s %s", p.paint("36", bar), escape.Truncate(text, 100))
	p.bar = true
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

func (p *plain) Annotate(errs, warns []Note) {
	annotateWithin(p, errs, warns, plainAnnotations+1, plainAnnotations+1)
}
