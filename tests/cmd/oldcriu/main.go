// Command oldcriu is a test stand-in for a criu binary too old for hako:
// started as `oldcriu swrk FD`, it answers every RPC request on that
// socket with CRIU version 2.9 (criu/rpc.proto), so that a test can see
// hako refuse it before anything is dumped or made.
package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/checkpoint-restore/go-criu/v7/rpc"
	"google.golang.org/protobuf/proto"
)

func main() {
	if len(os.Args) != 3 || os.Args[1] != "swrk" {
		fmt.Fprintln(os.Stderr, "usage: oldcriu swrk FD")
		os.Exit(2)
	}
	fd, err := strconv.Atoi(os.Args[2])
	if err != nil {
		os.Exit(2)
	}
	sk := os.NewFile(uintptr(fd), "swrk")
	buf := make([]byte, 1<<16)
	for {
		if _, err := sk.Read(buf); err != nil {
			return
		}
		t := rpc.CriuReqType_VERSION
		b, _ := proto.Marshal(&rpc.CriuResp{
			Type: &t, Success: proto.Bool(true),
			Version: &rpc.CriuVersion{MajorNumber: proto.Int32(2), MinorNumber: proto.Int32(9)},
		})
		if _, err := sk.Write(b); err != nil {
			return
		}
	}
}
