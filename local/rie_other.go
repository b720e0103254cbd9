//go:build !linux

package local

import "os/exec"

// stopWithParent: only Linux can tie a child's life to its parent's; the
// runner stops its emulators on a normal exit.
func stopWithParent(*exec.Cmd) {}
