package frameworks

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Problem is one thing wrong with a framework file, located by file, line
// and the path of the offending value (dimensions[2].indicators[1].weight).
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Path    string `json:"path"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	loc := p.File
	if p.Line > 0 {
		loc += ":" + strconv.Itoa(p.Line)
	}
	if p.Path != "" {
		return fmt.Sprintf("%s: %s: %s", loc, p.Path, p.Message)
	}
	return fmt.Sprintf("%s: %s", loc, p.Message)
}

// Problems is every problem found in one file. Loading reports them all at
// once so that an editor can fix a file in one pass.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return fmt.Sprintf("%d problem(s):\n%s", len(ps), strings.Join(lines, "\n"))
}

// problemList collects problems while a file is checked.
type problemList struct {
	file string
	root *yaml.Node
	list Problems
}

func (pl *problemList) add(path, format string, args ...any) {
	pl.list = append(pl.list, Problem{
		File:    pl.file,
		Line:    lineOf(pl.root, path),
		Path:    path,
		Message: fmt.Sprintf(format, args...),
	})
}

var pathPart = regexp.MustCompile(`([^.\[\]]+)|\[(\d+)\]`)

// lineOf finds the line of the value at path in the YAML tree, or of its
// nearest existing parent when the value itself is missing.
func lineOf(root *yaml.Node, path string) int {
	if root == nil {
		return 0
	}
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, m := range pathPart.FindAllStringSubmatch(path, -1) {
		var next *yaml.Node
		switch {
		case m[1] != "" && n.Kind == yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == m[1] {
					next = n.Content[i+1]
					line = n.Content[i].Line
					break
				}
			}
		case m[2] != "" && n.Kind == yaml.SequenceNode:
			i, _ := strconv.Atoi(m[2])
			if i < len(n.Content) {
				next = n.Content[i]
				line = next.Line
			}
		}
		if next == nil {
			return line
		}
		n = next
	}
	return line
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// pathAt returns the path of the deepest value that starts on line, so
// that the YAML decoder's line-only errors also carry a path.
func pathAt(root *yaml.Node, line int) string {
	var best string
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				p := n.Content[i].Value
				if path != "" {
					p = path + "." + p
				}
				if n.Content[i].Line == line {
					best = p
				}
				walk(n.Content[i+1], p)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				p := fmt.Sprintf("%s[%d]", path, i)
				if c.Line == line && best == "" {
					best = p
				}
				walk(c, p)
			}
		}
	}
	if root != nil {
		walk(root, "")
	}
	return best
}

// checkAfterDecode runs the rule checks even when decoding found problems,
// so that every problem is reported at once, but drops what they say about
// values the decoder already rejected (a misspelt key is also "missing").
func (pl *problemList) checkAfterDecode(check func()) {
	decoded := len(pl.list)
	check()
	if decoded == 0 {
		return
	}
	kept := pl.list[:decoded]
	for _, p := range pl.list[decoded:] {
		if !pl.underDecodeError(p.Path, decoded) {
			kept = append(kept, p)
		}
	}
	pl.list = kept
}

func (pl *problemList) underDecodeError(path string, n int) bool {
	for _, d := range pl.list[:n] {
		if d.Path == "" || path == d.Path || strings.HasPrefix(path, d.Path+".") || strings.HasPrefix(path, d.Path+"[") {
			return true
		}
	}
	return false
}

// decodeError turns the YAML decoder's errors into problems.
func (pl *problemList) decodeError(err error) {
	var msgs []string
	if te, ok := err.(*yaml.TypeError); ok {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	for _, msg := range msgs {
		p := Problem{File: pl.file, Message: strings.TrimPrefix(msg, "yaml: ")}
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			p.Line, _ = strconv.Atoi(m[1])
			p.Message = m[2]
			p.Path = pathAt(pl.root, p.Line)
		}
		p.Message = friendlyYAML(p.Message)
		pl.list = append(pl.list, p)
	}
}

var (
	unknownField = regexp.MustCompile(`^field (\S+) not found in type \S+$`)
	wrongType    = regexp.MustCompile("^cannot unmarshal !!(\\w+) `(.*)` into (\\S+)$")
)

// friendlyYAML rewrites the decoder's Go-flavoured messages for people who
// edit YAML, not Go.
func friendlyYAML(msg string) string {
	if m := unknownField.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("unknown key %q (check the spelling; keys are listed in the framework format)", m[1])
	}
	if m := wrongType.FindStringSubmatch(msg); m != nil {
		want := m[3]
		switch {
		case strings.HasPrefix(want, "float"), strings.HasPrefix(want, "int"):
			want = "a number"
		case want == "bool":
			want = "true or false"
		case want == "string":
			want = "a text"
		case strings.HasPrefix(want, "[]"):
			want = "a list"
		case strings.HasPrefix(want, "map"), want == "frameworks.Text":
			want = "a map of language to text, such as {en: ..., ru: ...}"
		default:
			want = "a mapping of keys"
		}
		return fmt.Sprintf("expected %s, found %s %q", want, kindName(m[1]), m[2])
	}
	return msg
}

func kindName(tag string) string {
	switch tag {
	case "str":
		return "the text"
	case "int", "float":
		return "the number"
	case "seq":
		return "a list"
	case "map":
		return "a mapping"
	case "bool":
		return "the boolean"
	}
	return tag
}
