// Command nnp stands in for Kubernetes' e2e-test-images/nonewprivs image
// program in hack/test-cri.sh: installed setuid root, it prints the
// effective uid it runs with, so critest's no_new_privs specs see
// "Effective uid: 0" when privilege escalation is allowed and the caller's
// uid when no_new_privs blocks the setuid bit.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Printf("Effective uid: %d\n", os.Geteuid())
}
