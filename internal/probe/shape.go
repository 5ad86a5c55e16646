package probe

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/splx-ai/splx-probe-action/internal/escape"
)

// Shape outlines a status answer: which fields it had and of which JSON
// type, never their values (a value may hold anything, the token included).
// It answers the questions the documentation leaves open (is status null?
// is probeId? is there a processedCount?) in one line a user can paste.
type Shape struct {
	// Fields are the top-level fields, in document order.
	Fields []FieldShape
	// ProbeRuns is how many probe runs the answer had, and ProbeRunFields
	// the fields they had, in order of first appearance.
	ProbeRuns      int
	ProbeRunFields []FieldShape
}

// FieldShape is one field of a Shape.
type FieldShape struct {
	// Name is the field's name as sent (untrusted: escape it to show it).
	Name string
	// Types are the JSON types seen: string, "empty string", number, bool,
	// null, array, object.
	Types []string
	// Count is how many of the objects had the field.
	Count int
}

// maxShapeFields bounds a shape, so that a hostile answer cannot make the
// line long.
const maxShapeFields = 40

// ShapeOf outlines a status answer. Anything that is not a JSON object gives
// an empty shape. It walks the answer once with one decoder and keeps only
// one field's value at a time: a large answer costs no copy of itself.
func ShapeOf(raw []byte) Shape {
	var s Shape
	dec := json.NewDecoder(bytes.NewReader(raw))
	if !delim(dec, '{') {
		return s
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return s
		}
		name, _ := t.(string)
		if name == "probeRuns" && startsArray(raw, dec.InputOffset()) {
			s.Fields = addField(s.Fields, name, json.RawMessage("[]"))
			if !s.probeRuns(dec) {
				return s
			}
			continue
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return s
		}
		s.Fields = addField(s.Fields, name, v)
	}
	return s
}

// probeRuns reads the probeRuns array, its elements' fields one value at
// a time. It reports whether the array was read whole.
func (s *Shape) probeRuns(dec *json.Decoder) bool {
	if !delim(dec, '[') {
		return false
	}
	for dec.More() {
		s.ProbeRuns++
		t, err := dec.Token()
		if err != nil {
			return false
		}
		if t != json.Delim('{') {
			// Not an object: no fields; skip what it holds.
			if d, ok := t.(json.Delim); ok && !skip(dec, d) {
				return false
			}
			continue
		}
		for dec.More() {
			t, err := dec.Token()
			if err != nil {
				return false
			}
			name, _ := t.(string)
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return false
			}
			s.ProbeRunFields = addField(s.ProbeRunFields, name, v)
		}
		if !delim(dec, '}') {
			return false
		}
	}
	return delim(dec, ']')
}

// delim reads the next token and reports whether it is d.
func delim(dec *json.Decoder, d json.Delim) bool {
	t, err := dec.Token()
	return err == nil && t == d
}

// skip reads to the end of an array or object whose opening d was read.
func skip(dec *json.Decoder, d json.Delim) bool {
	for depth := 1; depth > 0; {
		t, err := dec.Token()
		if err != nil {
			return false
		}
		switch t {
		case json.Delim('['), json.Delim('{'):
			depth++
		case json.Delim(']'), json.Delim('}'):
			depth--
		}
	}
	return true
}

// startsArray reports whether the value after offset (past the ':' and
// white space) is an array.
func startsArray(raw []byte, offset int64) bool {
	rest := bytes.TrimLeft(raw[offset:], " \t\r\n:")
	return len(rest) > 0 && rest[0] == '['
}

// ProbeRunField returns the probe runs' field of that name.
func (s Shape) ProbeRunField(name string) (FieldShape, bool) {
	i := slices.IndexFunc(s.ProbeRunFields, func(f FieldShape) bool { return f.Name == name })
	if i < 0 {
		return FieldShape{}, false
	}
	return s.ProbeRunFields[i], true
}

// String is the shape on one line, e.g.
//
//	{testRunId:number status:null probeRuns:array(2)} probeRuns[]:{probeId:null|number processedCount:number(1/2)}
func (s Shape) String() string {
	if s.Fields == nil {
		return "not a JSON object"
	}
	out := "{" + joinFields(s.Fields, 1, s.ProbeRuns) + "}"
	if s.ProbeRuns > 0 {
		out += " probeRuns[]:{" + joinFields(s.ProbeRunFields, s.ProbeRuns, -1) + "}"
	}
	return out
}

// joinFields shows fields seen in of objects; runs, when not negative, is
// the length of the top-level probeRuns array.
func joinFields(fs []FieldShape, of, runs int) string {
	parts := make([]string, 0, len(fs))
	for _, f := range fs {
		p := escape.Line(f.Name, 40) + ":" + strings.Join(f.Types, "|")
		if runs >= 0 && f.Name == "probeRuns" && slices.Equal(f.Types, []string{"array"}) {
			p = fmt.Sprintf("probeRuns:array(%d)", runs)
		}
		if f.Count < of {
			p += fmt.Sprintf("(%d/%d)", f.Count, of)
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " ")
}

// addField counts a field and its type in fs.
func addField(fs []FieldShape, name string, v json.RawMessage) []FieldShape {
	typ := jsonType(v)
	i := slices.IndexFunc(fs, func(f FieldShape) bool { return f.Name == name })
	if i < 0 {
		if len(fs) >= maxShapeFields {
			return fs
		}
		return append(fs, FieldShape{Name: name, Types: []string{typ}, Count: 1})
	}
	fs[i].Count++
	if !slices.Contains(fs[i].Types, typ) {
		fs[i].Types = append(fs[i].Types, typ)
	}
	return fs
}

func jsonType(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "null"
	}
	switch v[0] {
	case '"':
		if string(v) == `""` {
			return "empty string"
		}
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}
