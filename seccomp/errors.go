package seccomp

import (
	"errors"
	"fmt"
)

var (
	// ErrUnknown is wrapped by errors about an action, architecture,
	// operator or flag name that hako does not know.
	ErrUnknown = errors.New("unknown")
	// ErrInvalid is wrapped by errors about a profile value that is
	// known but not acceptable (an argument index out of range, errnoRet
	// on an action without a return value, NOTIFY as default action...).
	ErrInvalid = errors.New("invalid")
)

// FieldError is a problem with one field of linux.seccomp. Its text is
// "<field path>: <problem>", for example
// `linux.seccomp.syscalls[3].action: unknown action "SCMP_ACT_FOO"`.
type FieldError struct {
	Field string // JSON path, e.g. linux.seccomp.syscalls[3].action
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }

func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(field string, err error) error { return &FieldError{Field: field, Err: err} }

// unknownErr builds `unknown <kind> "<name>"`, wrapping ErrUnknown.
func unknownErr(kind, name string) error {
	return fmt.Errorf("%w %s %q", ErrUnknown, kind, name)
}

// invalidError carries its own text and matches ErrInvalid in errors.Is,
// so messages need no "invalid:" prefix.
type invalidError struct{ msg string }

func (e invalidError) Error() string { return e.msg }

func (e invalidError) Is(target error) bool { return target == ErrInvalid }

func invalidErr(format string, a ...any) error {
	return invalidError{msg: fmt.Sprintf(format, a...)}
}
