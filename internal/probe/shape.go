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
// an empty shape.
func ShapeOf(raw []byte) Shape {
	var s Shape
	top, ok := objectFields(raw)
	if !ok {
		return s
	}
	for _, f := range top {
		s.Fields = addField(s.Fields, f.name, f.value)
		if f.name != "probeRuns" {
			continue
		}
		var runs []json.RawMessage
		if json.Unmarshal(f.value, &runs) != nil {
			continue
		}
		s.ProbeRuns = len(runs)
		for _, r := range runs {
			fields, _ := objectFields(r)
			for _, pf := range fields {
				s.ProbeRunFields = addField(s.ProbeRunFields, pf.name, pf.value)
			}
		}
	}
	return s
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

type rawField struct {
	name  string
	value json.RawMessage
}

// objectFields reads a JSON object's fields in document order.
func objectFields(raw []byte) ([]rawField, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, false
	}
	out := []rawField{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return out, false
		}
		name, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return out, false
		}
		out = append(out, rawField{name, v})
	}
	return out, true
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
