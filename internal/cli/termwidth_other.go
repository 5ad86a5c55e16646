//go:build !linux && !darwin

package cli

import "os"

// termWidth is unknown here: COLUMNS or 80 decide.
func termWidth(*os.File) int { return 0 }
