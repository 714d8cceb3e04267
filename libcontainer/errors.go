package libcontainer

import (
	"errors"
	"fmt"
)

// Texts that engines match on (see docs/architecture.md, "Contracts").
var (
	ErrNotExist   = errors.New("container does not exist")
	ErrExist      = errors.New("container with given ID already exists")
	ErrNotRunning = errors.New("container not running")
)

// notExist names the container, as runc does ("container foo does not exist").
func notExist(id string) error {
	return fmt.Errorf("container %s does not exist: %w", id, ErrNotExist)
}
