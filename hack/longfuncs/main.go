// Command longfuncs lists the non-test Go functions of the module that are longer than
// a limit (80 lines by default, from the func keyword to the closing brace) and fails
// when there are more of them than allowed (-max, 8 by default) or when one of them
// does not say why it is long.
//
// A function may stay long only with a reason in its doc comment, on a line of its
// own starting with "long:":
//
//	// RenderBenchmark writes the benchmark Job's manifests.
//	//
//	// long: one template per object, in the order kubectl applies them; splitting it
//	// would scatter one manifest over several functions.
//	func RenderBenchmark(…) { … }
//
// Test files, testdata folders, vendored and generated code are not counted.
//
//	go run ./hack/longfuncs [-lines 80] [-max 8] [dir]   # or: make lint-length
package main

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// LongFunc is one function over the limit.
type LongFunc struct {
	// Name is the function's name, "Type.Method" for a method.
	Name string
	// File is the file's path relative to the scanned folder, Line the func keyword's line.
	File string
	Line int
	// Lines counts the lines from the func keyword to the closing brace.
	Lines int
	// Reason is the text after "long:" in the doc comment; "" when there is none.
	Reason string
}

// reasonMarker starts the doc-comment line that says why a function is long.
const reasonMarker = "long:"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the command: it prints the long functions to out and returns the exit status
// (0 within the limits, 1 over them, 2 for bad flags or an unreadable tree).
func run(args []string, out, errOut io.Writer) int {
	fl := flag.NewFlagSet("longfuncs", flag.ContinueOnError)
	fl.SetOutput(errOut)
	limit := fl.Int("lines", 80, "a function longer than this many lines counts as long")
	allowed := fl.Int("max", 8, "how many long functions the tree may have")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	root := "."
	if fl.NArg() > 0 {
		root = fl.Arg(0)
	}
	long, err := Find(root, *limit)
	if err != nil {
		fmt.Fprintf(errOut, "longfuncs: %v\n", err)
		return 2
	}
	if problems := Summarize(out, long, *limit, *allowed); len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintf(out, "FAIL: %s\n", p)
		}
		return 1
	}
	return 0
}

// Summarize prints the long functions, longest first, and returns what breaks the rules:
// more than allowed of them, and any of them without a reason.
func Summarize(w io.Writer, long []LongFunc, limit, allowed int) []string {
	fmt.Fprintf(w, "%d non-test functions over %d lines (at most %d allowed):\n", len(long), limit, allowed)
	unexplained := 0
	for _, f := range long {
		reason := f.Reason
		if reason == "" {
			reason, unexplained = "no reason given", unexplained+1
		}
		fmt.Fprintf(w, "  %4d  %s  %s:%d  (%s)\n", f.Lines, f.Name, f.File, f.Line, reason)
	}
	var problems []string
	if len(long) > allowed {
		problems = append(problems, fmt.Sprintf("%d functions over %d lines, at most %d allowed: split the longest", len(long), limit, allowed))
	}
	if unexplained > 0 {
		problems = append(problems, fmt.Sprintf("%d of them give no reason: split them, or say why in a %q line of the doc comment", unexplained, reasonMarker))
	}
	return problems
}

// Find lists the functions over limit lines in the non-test Go files below root,
// longest first.
func Find(root string, limit int) ([]LongFunc, error) {
	var long []LongFunc
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && skipDir(d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		found, err := longIn(fset, root, path, limit)
		long = append(long, found...)
		return err
	})
	sort.SliceStable(long, func(i, j int) bool {
		if long[i].Lines != long[j].Lines {
			return long[i].Lines > long[j].Lines
		}
		return long[i].File+long[i].Name < long[j].File+long[j].Name
	})
	return long, err
}

// skipDir is true for folders the go tool ignores and for vendored code.
func skipDir(name string) bool {
	return name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

// longIn lists the long functions of one file (none for generated code).
func longIn(fset *token.FileSet, root, path string, limit int) ([]LongFunc, error) {
	f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	if ast.IsGenerated(f) {
		return nil, nil
	}
	rel, err := filepath.Rel(root, path)
	if err != nil {
		rel = path
	}
	var out []LongFunc
	for _, decl := range f.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Body == nil {
			continue
		}
		start, end := fset.Position(fn.Pos()).Line, fset.Position(fn.End()).Line
		if lines := end - start + 1; lines > limit {
			out = append(out, LongFunc{Name: funcName(fn), File: filepath.ToSlash(rel), Line: start, Lines: lines, Reason: reason(fn.Doc)})
		}
	}
	return out, nil
}

// funcName is "Name" for a function and "Type.Name" for a method.
func funcName(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return fn.Name.Name
	}
	t := fn.Recv.List[0].Type
	if star, ok := t.(*ast.StarExpr); ok {
		t = star.X
	}
	switch x := t.(type) {
	case *ast.IndexExpr: // a generic receiver, T[E]
		t = x.X
	case *ast.IndexListExpr:
		t = x.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name + "." + fn.Name.Name
	}
	return fn.Name.Name
}

// reason returns the text after the "long:" marker in a doc comment, continued over
// the comment lines that follow it up to a blank one.
func reason(doc *ast.CommentGroup) string {
	if doc == nil {
		return ""
	}
	var parts []string
	in := false
	for _, line := range strings.Split(doc.Text(), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, reasonMarker):
			in = true
			parts = append(parts, strings.TrimSpace(strings.TrimPrefix(line, reasonMarker)))
		case in && line != "":
			parts = append(parts, line)
		default:
			in = false
		}
	}
	return strings.Join(strings.Fields(strings.Join(parts, " ")), " ")
}
