package nsenter

/*
#cgo CFLAGS: -Wall -O2
extern void hako_nsenter(void);
void __attribute__((constructor)) hako_nsenter_init(void) { hako_nsenter(); }
*/
import "C"
