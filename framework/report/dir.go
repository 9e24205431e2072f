package report

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// InProgressFile marks a report directory whose run has started and not yet
// saved its evidence. A directory holding it is not a report: the run was
// interrupted (or is still going), whatever else the directory holds.
const InProgressFile = "RUN_IN_PROGRESS"

// File is one file of a report directory: its name and what writes its content.
type File struct {
	Name  string
	Write func(io.Writer) error
}

// BytesFile is a File whose content is data.
func BytesFile(name string, data []byte) File {
	return File{Name: name, Write: func(w io.Writer) error { _, err := w.Write(data); return err }}
}

// ownedPatterns are the names a run writes into a report directory; BeginDir
// removes them so no file of an earlier run is mistaken for this run's.
var ownedPatterns = []string{
	"*_lifecycle_metrics.json", "*_prometheus_metrics.json", "*.hlog", "*_timeline.jsonl", "*.hgrm",
	"report.html", "summary.md", "junit.xml", "verdict.json", ShardFile, ExperimentFile, InProgressFile,
}

// BeginDir prepares dir for a new run: it creates dir, removes every file an
// earlier run wrote there (report files, JUnit, summary; other files are left
// alone) and writes the in-progress marker, so a run killed before WriteFiles
// leaves the marker instead of the previous run's report. An error means the
// evidence of this run could not be saved.
func BeginDir(dir, what string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report directory %s: %w", dir, err)
	}
	if err := removeOwned(dir, ""); err != nil {
		return err
	}
	note := fmt.Sprintf("%s started %s (pid %d); this directory holds no finished report until this file is gone\n",
		what, time.Now().UTC().Format(time.RFC3339), os.Getpid())
	if err := writeFile(filepath.Join(dir, InProgressFile), BytesFile(InProgressFile, []byte(note))); err != nil {
		return fmt.Errorf("report directory %s: %w", dir, err)
	}
	return nil
}

// removeOwned removes the files of ownedPatterns and staging directories left
// by an interrupted WriteFiles, except keep.
func removeOwned(dir, keep string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("report directory %s: %w", dir, err)
	}
	for _, e := range entries {
		name := e.Name()
		if name == keep || !(owned(name) || (e.IsDir() && strings.HasPrefix(name, stagingPrefix))) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("report directory %s: removing %s of an earlier run: %w", dir, name, err)
		}
	}
	return nil
}

func owned(name string) bool {
	for _, p := range ownedPatterns {
		if ok, _ := filepath.Match(p, name); ok {
			return true
		}
	}
	return false
}

const stagingPrefix = ".tailgate-staging-"

// WriteFiles saves files into dir so that dir never shows a mix of runs or a
// half-written file: every file is written and synced in a staging directory
// inside dir, files of an earlier run are removed, then each file is renamed
// into place and the in-progress marker removed last. On error the marker (if
// BeginDir wrote one) stays, and the error says what could not be saved.
func WriteFiles(dir string, files ...File) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	stage, err := os.MkdirTemp(dir, stagingPrefix)
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	defer os.RemoveAll(stage)
	for _, f := range files {
		if err := writeFile(filepath.Join(stage, f.Name), f); err != nil {
			return fmt.Errorf("write report %s: %w", f.Name, err)
		}
	}
	marker, _ := os.ReadFile(filepath.Join(dir, InProgressFile))
	if err := removeOwned(dir, filepath.Base(stage)); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(dir, InProgressFile), BytesFile(InProgressFile, marker)); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	for _, f := range files {
		if err := os.Rename(filepath.Join(stage, f.Name), filepath.Join(dir, f.Name)); err != nil {
			return fmt.Errorf("write report %s: %w", f.Name, err)
		}
	}
	if err := os.Remove(filepath.Join(dir, InProgressFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// writeFile writes f to path and syncs it, so a full disk fails here and not later.
func writeFile(path string, f File) error {
	out, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(out)
	err = f.Write(w)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}
