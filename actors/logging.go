package actors

import (
	"log/slog"
	"os"
)

// QuietLogger returns the default logger: text on standard error, level
// Warn and above. protoactor logs every system start, every recovered
// panic and every dead letter at Info; with this logger they stay silent,
// and the System counts them instead (see Stats).
func QuietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// DiscardLogger returns a logger that drops everything.
func DiscardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
