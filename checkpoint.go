package main

import (
	"flag"

	"github.com/hako-runtime/hako/libcontainer"
)

func init() {
	verbs["checkpoint"] = verb{"checkpoint a running container (CRIU)", runCheckpoint}
}

// criuFlags are runc's `checkpoint` flags that `restore` has too;
// imageUsage says what the image path is for. The --empty-ns values are
// stored in *emptyNS.
func criuFlags(fs *flag.FlagSet, o *libcontainer.CheckpointOpts, emptyNS *listFlag, imageUsage string) {
	fs.StringVar(&o.ImagePath, "image-path", "", imageUsage+" (default ./checkpoint)")
	fs.StringVar(&o.WorkPath, "work-path", "", "path for saving work files and logs (default: the image path)")
	fs.BoolVar(&o.TCPEstablished, "tcp-established", false, "allow open tcp connections")
	fs.BoolVar(&o.ExtUnixSk, "ext-unix-sk", false, "allow external unix sockets")
	fs.BoolVar(&o.ShellJob, "shell-job", false, "allow shell jobs")
	fs.BoolVar(&o.FileLocks, "file-locks", false, "handle file locks, for safety")
	fs.StringVar(&o.ManageCgroupsMode, "manage-cgroups-mode", "", "cgroups mode: soft (default), full, strict or ignore")
	fs.BoolVar(&o.AutoDedup, "auto-dedup", false, "enable auto deduplication of memory images")
	fs.BoolVar(&o.LazyPages, "lazy-pages", false, "use userfaultfd to lazily restore memory pages")
	fs.Var(emptyNS, "empty-ns", "create a namespace, but don't restore its properties (network; repeatable)")
}

func runCheckpoint(g *global, args []string) error {
	o := &libcontainer.CheckpointOpts{StatusFD: -1, CriuPath: g.criu}
	fs := newFlags("checkpoint", "<container-id>")
	var emptyNS listFlag
	criuFlags(fs, o, &emptyNS, "path for saving criu image files")
	fs.BoolVar(&o.LinkRemap, "link-remap", false, "allow one to link unlinked files back when possible")
	fs.StringVar(&o.ParentPath, "parent-path", "", "path for previous criu image files in pre-dump (relative to --image-path)")
	fs.BoolVar(&o.LeaveRunning, "leave-running", false, "leave the process running after checkpointing")
	fs.BoolVar(&o.TCPSkipInFlight, "tcp-skip-in-flight", false, "skip in-flight tcp connections")
	fs.StringVar(&o.PageServer, "page-server", "", "ADDRESS:PORT of the page server")
	fs.BoolVar(&o.PreDump, "pre-dump", false, "dump container's memory information only, leave the container running after this")
	fs.IntVar(&o.StatusFD, "status-fd", -1, "criu writes \\0 to this FD once lazy-pages is ready")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	o.EmptyNS = emptyNS
	c, err := libcontainer.Load(g.root, pos[0])
	if err != nil {
		return err
	}
	defer c.Unlock()
	return c.Checkpoint(o, g.log)
}
