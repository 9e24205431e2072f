// Package hlogcheck holds only a spec: it reads a report directory's
// interval logs with hdrhistogram-go alone, as any HdrHistogram tool would,
// and checks their counts against the report's own files.
package hlogcheck
