// Command ocitool makes the container images hack/test-cri.sh needs and
// serves them, because no image registry is reachable from the test
// machines: Kubernetes' CRI conformance suite (critest) pulls its images by
// name from public registries, and containerd's CRI plugin pulls through a
// registry even for images it could import.
//
//	ocitool build -busybox /bin/busybox -pause PAUSE -out DIR
//	ocitool serve -dir DIR -listen 127.0.0.1:5000
//
// build writes one OCI image layout holding every image (critest's names
// and the scenario images), each named by the io.containerd.image.name
// annotation that `ctr image import` reads. The output is deterministic
// (fixed times, sorted entries), so image digests stay stable across runs.
//
// serve answers the read side of the registry HTTP API (manifests and
// blobs, GET and HEAD) from that layout. containerd reaches it as a mirror
// for every registry host (certs.d/_default/hosts.toml); the mirror request
// carries the original host in the ns query parameter, which with the
// repository path gives back the full image name.
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

const (
	mediaManifest = "application/vnd.oci.image.manifest.v1+json"
	mediaConfig   = "application/vnd.oci.image.config.v1+json"
	mediaLayer    = "application/vnd.oci.image.layer.v1.tar+gzip"
	mediaIndex    = "application/vnd.oci.image.index.v1+json"
	nameAnnot     = "io.containerd.image.name"
	refAnnot      = "org.opencontainers.image.ref.name"
)

// epoch is every file's mtime and the images' creation time: a fixed value
// keeps digests reproducible.
var epoch = time.Unix(1700000000, 0).UTC()

type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Platform    *platform         `json:"platform,omitempty"`
}

type platform struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
}

type manifest struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType"`
	Config        descriptor   `json:"config"`
	Layers        []descriptor `json:"layers"`
}

type index struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType"`
	Manifests     []descriptor `json:"manifests"`
}

type imageConfig struct {
	User       string            `json:"User,omitempty"`
	Env        []string          `json:"Env,omitempty"`
	Entrypoint []string          `json:"Entrypoint,omitempty"`
	Cmd        []string          `json:"Cmd,omitempty"`
	WorkingDir string            `json:"WorkingDir,omitempty"`
	Labels     map[string]string `json:"Labels,omitempty"`
}

type configFile struct {
	Created      time.Time   `json:"created"`
	Architecture string      `json:"architecture"`
	OS           string      `json:"os"`
	Config       imageConfig `json:"config"`
	RootFS       struct {
		Type    string   `json:"type"`
		DiffIDs []string `json:"diff_ids"`
	} `json:"rootfs"`
}

// file is one entry of a layer.
type file struct {
	path   string // relative, no leading slash
	mode   int64
	typ    byte
	data   []byte
	target string // symlink target
	uid    int
	gid    int
}

type layer struct {
	desc   descriptor
	diffID string
}

type builder struct {
	dir string
	idx index
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("ocitool: ")
	if len(os.Args) < 2 {
		log.Fatal("usage: ocitool build|serve [flags]")
	}
	switch os.Args[1] {
	case "build":
		fs := flag.NewFlagSet("build", flag.ExitOnError)
		busybox := fs.String("busybox", "/bin/busybox", "static busybox binary")
		pause := fs.String("pause", "", "static pause binary")
		nnp := fs.String("nnp", "", "static program printing its effective uid (installed setuid root)")
		out := fs.String("out", "", "output OCI layout directory")
		_ = fs.Parse(os.Args[2:])
		if *pause == "" || *nnp == "" || *out == "" {
			log.Fatal("build: -pause, -nnp and -out are required")
		}
		if err := build(*busybox, *pause, *nnp, *out); err != nil {
			log.Fatal(err)
		}
	case "serve":
		fs := flag.NewFlagSet("serve", flag.ExitOnError)
		dir := fs.String("dir", "", "OCI layout directory")
		listen := fs.String("listen", "127.0.0.1:5000", "address to listen on")
		_ = fs.Parse(os.Args[2:])
		if *dir == "" {
			log.Fatal("serve: -dir is required")
		}
		if err := serve(*dir, *listen); err != nil {
			log.Fatal(err)
		}
	default:
		log.Fatalf("unknown command %q", os.Args[1])
	}
}

// writeBlob stores data under blobs/sha256 and returns its digest.
func (b *builder) writeBlob(data []byte) (string, error) {
	sum := sha256.Sum256(data)
	hexsum := hex.EncodeToString(sum[:])
	p := filepath.Join(b.dir, "blobs", "sha256", hexsum)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		return "", fmt.Errorf("write blob: %w", err)
	}
	return "sha256:" + hexsum, nil
}

func (b *builder) layer(files []file) (layer, error) {
	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	// Sorted, hard links last: a link's target must already be there.
	sort.Slice(files, func(i, j int) bool {
		li, lj := files[i].typ == tar.TypeLink, files[j].typ == tar.TypeLink
		if li != lj {
			return lj
		}
		return files[i].path < files[j].path
	})
	for _, f := range files {
		h := &tar.Header{
			Name:     f.path,
			Mode:     f.mode,
			Typeflag: f.typ,
			Linkname: f.target,
			Uid:      f.uid,
			Gid:      f.gid,
			ModTime:  epoch,
			Format:   tar.FormatPAX,
		}
		if f.typ == tar.TypeReg {
			h.Size = int64(len(f.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return layer{}, fmt.Errorf("tar %s: %w", f.path, err)
		}
		if f.typ == tar.TypeReg {
			if _, err := tw.Write(f.data); err != nil {
				return layer{}, fmt.Errorf("tar %s: %w", f.path, err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		return layer{}, err
	}
	diff := sha256.Sum256(raw.Bytes())
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	if err != nil {
		return layer{}, err
	}
	zw.ModTime = epoch
	if _, err := zw.Write(raw.Bytes()); err != nil {
		return layer{}, err
	}
	if err := zw.Close(); err != nil {
		return layer{}, err
	}
	dgst, err := b.writeBlob(gz.Bytes())
	if err != nil {
		return layer{}, err
	}
	return layer{
		desc:   descriptor{MediaType: mediaLayer, Digest: dgst, Size: int64(gz.Len())},
		diffID: "sha256:" + hex.EncodeToString(diff[:]),
	}, nil
}

// image writes config and manifest and names the manifest once per name.
func (b *builder) image(cfg imageConfig, layers []layer, names ...string) error {
	c := configFile{Created: epoch, Architecture: "amd64", OS: "linux", Config: cfg}
	c.RootFS.Type = "layers"
	m := manifest{SchemaVersion: 2, MediaType: mediaManifest}
	for _, l := range layers {
		c.RootFS.DiffIDs = append(c.RootFS.DiffIDs, l.diffID)
		m.Layers = append(m.Layers, l.desc)
	}
	cj, err := json.Marshal(c)
	if err != nil {
		return err
	}
	cd, err := b.writeBlob(cj)
	if err != nil {
		return err
	}
	m.Config = descriptor{MediaType: mediaConfig, Digest: cd, Size: int64(len(cj))}
	mj, err := json.Marshal(m)
	if err != nil {
		return err
	}
	md, err := b.writeBlob(mj)
	if err != nil {
		return err
	}
	for _, n := range names {
		tag := n[strings.LastIndex(n, ":")+1:]
		b.idx.Manifests = append(b.idx.Manifests, descriptor{
			MediaType:   mediaManifest,
			Digest:      md,
			Size:        int64(len(mj)),
			Annotations: map[string]string{nameAnnot: n, refAnnot: tag},
			Platform:    &platform{Architecture: "amd64", OS: "linux"},
		})
	}
	return nil
}

func dir(p string) file { return file{path: p, mode: 0o755, typ: tar.TypeDir} }

func reg(p string, mode int64, data string) file {
	return file{path: p, mode: mode, typ: tar.TypeReg, data: []byte(data)}
}

const passwd = `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
`

const group = `root:x:0:
daemon:x:1:
www-data:x:33:
nogroup:x:65534:
`

// baseFiles is a busybox root file system: the static binary, a symlink
// per applet at the path busybox lists for it, and the usual directories.
func baseFiles(busybox string) ([]file, error) {
	bin, err := os.ReadFile(busybox)
	if err != nil {
		return nil, fmt.Errorf("read busybox: %w", err)
	}
	out, err := exec.Command(busybox, "--list-full").Output()
	if err != nil {
		return nil, fmt.Errorf("busybox --list-full: %w", err)
	}
	files := []file{
		dir("bin"), dir("sbin"), dir("usr"), dir("usr/bin"), dir("usr/sbin"),
		dir("etc"), dir("root"), dir("home"), dir("proc"), dir("sys"), dir("dev"),
		dir("var"), dir("var/www"), dir("var/run"), dir("run"),
		{path: "tmp", mode: 0o1777, typ: tar.TypeDir},
		reg("bin/busybox", 0o755, string(bin)),
		reg("etc/passwd", 0o644, passwd),
		reg("etc/group", 0o644, group),
	}
	have := map[string]bool{}
	for _, applet := range strings.Fields(string(out)) {
		if applet == "bin/busybox" {
			continue
		}
		have[filepath.Base(applet)] = true
		// Hard links, as in the busybox image: critest masks /bin/ls,
		// which through a symlink would mask busybox itself.
		files = append(files, file{path: applet, mode: 0o755, typ: tar.TypeLink, target: "bin/busybox"})
	}
	// Applets critest runs that Debian's busybox-static leaves out:
	// shell stand-ins with the output critest reads.
	for name, script := range map[string]string{
		"pgrep": pgrepScript,
		"ipcs":  ipcsScript,
	} {
		if !have[name] {
			files = append(files, reg("usr/bin/"+name, 0o755, script))
		}
	}
	return files, nil
}

// pgrepScript is `pgrep NAME`: the pids whose comm is NAME.
const pgrepScript = `#!/bin/sh
rc=1
for d in /proc/[0-9]*; do
	[ "$(cat "$d/comm" 2>/dev/null)" = "$1" ] && echo "${d#/proc/}" && rc=0
done
exit $rc
`

// ipcsScript is `ipcs -m` in util-linux's layout.
const ipcsScript = `#!/bin/sh
echo "------ Shared Memory Segments --------"
echo "key        shmid      owner      perms      bytes      nattch     status"
awk 'NR > 1 {printf "0x%08x %-10s %-10s %-10s %-10s %-10s\n", $1, $2, $8, $3, $4, $7}' /proc/sysvipc/shm
`

var pathEnv = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}

func build(busybox, pause, nnp, out string) error {
	if err := os.MkdirAll(filepath.Join(out, "blobs", "sha256"), 0o755); err != nil {
		return fmt.Errorf("mkdir: %w", err)
	}
	b := &builder{dir: out, idx: index{SchemaVersion: 2, MediaType: mediaIndex}}
	bf, err := baseFiles(busybox)
	if err != nil {
		return err
	}
	base, err := b.layer(bf)
	if err != nil {
		return err
	}
	pb, err := os.ReadFile(pause)
	if err != nil {
		return fmt.Errorf("read pause: %w", err)
	}
	pauseLayer, err := b.layer([]file{reg("pause", 0o755, string(pb))})
	if err != nil {
		return err
	}
	www, err := b.layer([]file{dir("www"), reg("www/index.html", 0o644, "<html><body>Welcome to nginx! (busybox httpd)</body></html>\n")})
	if err != nil {
		return err
	}
	nb, err := os.ReadFile(nnp)
	if err != nil {
		return fmt.Errorf("read nnp: %w", err)
	}
	// Kubernetes' nonewprivs image: a setuid-root program run as user 1000.
	nnpLayer, err := b.layer([]file{dir("usr/local"), dir("usr/local/bin"), reg("usr/local/bin/nnp", 0o4755, string(nb))})
	if err != nil {
		return err
	}
	const stg = "gcr.io/k8s-staging-cri-tools/"
	const e2e = "registry.k8s.io/e2e-test-images/"
	// The sandbox image differs from critest's pause:3.9 by a label:
	// critest removes pause:3.9 by ID, which must not remove the sandbox
	// image containerd's CRI plugin pins.
	type step struct {
		cfg    imageConfig
		layers []layer
		names  []string
	}
	steps := []step{
		{imageConfig{Entrypoint: []string{"/pause"}, Labels: map[string]string{"hako.test": "sandbox"}}, []layer{pauseLayer}, []string{"localhost/hako-test/pause:1"}},
		{imageConfig{Entrypoint: []string{"/pause"}}, []layer{pauseLayer}, []string{"registry.k8s.io/pause:3.9", "k8s.gcr.io/pause:3.9"}},
		{imageConfig{Env: pathEnv, Cmd: []string{"sh"}}, []layer{base}, []string{"localhost/hako-test/busybox:latest", e2e + "busybox:1.29-2"}},
		// critest waits for nginx's pid file and for "httpd" in httpd's log.
		{imageConfig{Env: pathEnv, Cmd: []string{"sh", "-c", "echo $$ > /var/run/nginx.pid; exec httpd -f -p 80 -h /www"}}, []layer{base, www}, []string{e2e + "nginx:1.14-2"}},
		{imageConfig{Env: pathEnv, Cmd: []string{"sh", "-c", "echo httpd: serving /www on port 80; exec httpd -f -p 80 -h /www"}}, []layer{base, www}, []string{e2e + "httpd:2.4.39-4"}},
		{imageConfig{Env: pathEnv, Cmd: []string{"httpd", "-f", "-p", "12003", "-h", "/www"}}, []layer{base, www}, []string{stg + "hostnet-nginx-amd64:latest"}},
		{imageConfig{Env: pathEnv, User: "1000", Entrypoint: []string{"/usr/local/bin/nnp"}}, []layer{base, nnpLayer}, []string{e2e + "nonewprivs:1.3"}},
	}
	// critest's image tests: images that differ by one file named after
	// them, as cri-tools' images/image-test/Dockerfile makes them.
	marked := func(mark string, names ...string) error {
		l, err := b.layer([]file{reg(mark, 0o644, "")})
		if err != nil {
			return err
		}
		return b.image(imageConfig{Env: pathEnv, Cmd: []string{"sh"}}, []layer{base, l}, names...)
	}
	for _, n := range []string{"test-image-1", "test-image-2", "test-image-3", "test-image-latest", "test-image-digest"} {
		if err := marked(n, stg+n+":latest"); err != nil {
			return err
		}
	}
	if err := marked("same-image", stg+"test-image-tags:1", stg+"test-image-tags:2", stg+"test-image-tags:3"); err != nil {
		return err
	}
	for _, t := range []string{"test", "all"} {
		if err := marked(t, stg+"test-image-tag:"+t); err != nil {
			return err
		}
	}
	// Image users, as cri-tools' images/build sets them.
	for n, u := range map[string]string{
		"test-image-user-uid":            "1002",
		"test-image-user-username":       "www-data",
		"test-image-user-uid-group":      "1003:1004",
		"test-image-user-username-group": "www-data:1004",
	} {
		steps = append(steps, struct {
			cfg    imageConfig
			layers []layer
			names  []string
		}{imageConfig{Env: pathEnv, Cmd: []string{"sh"}, User: u}, []layer{base}, []string{stg + n + ":latest"}})
	}
	grp, err := b.layer([]file{
		reg("etc/passwd", 0o644, passwd+"default-user:x:1000:1000::/home/default-user:/bin/sh\n"),
		reg("etc/group", 0o644, group+"default-user:x:1000:\ngroup-defined-in-image:x:50000:default-user\n"),
		dir("home/default-user"),
	})
	if err != nil {
		return err
	}
	steps = append(steps, step{imageConfig{Env: pathEnv, Cmd: []string{"sh"}, User: "1000"}, []layer{base, grp}, []string{stg + "test-image-predefined-group:latest"}})

	for _, s := range steps {
		if err := b.image(s.cfg, s.layers, s.names...); err != nil {
			return err
		}
	}
	sort.Slice(b.idx.Manifests, func(i, j int) bool {
		return b.idx.Manifests[i].Annotations[nameAnnot] < b.idx.Manifests[j].Annotations[nameAnnot]
	})
	ij, err := json.MarshalIndent(b.idx, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "index.json"), ij, 0o644); err != nil {
		return fmt.Errorf("write index: %w", err)
	}
	return os.WriteFile(filepath.Join(out, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644)
}

type registry struct {
	dir   string
	names map[string]descriptor // full image name -> manifest
	known map[string]descriptor // manifest digest -> manifest
}

func serve(dir, listen string) error {
	ij, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		return fmt.Errorf("read index: %w", err)
	}
	var idx index
	if err := json.Unmarshal(ij, &idx); err != nil {
		return fmt.Errorf("parse index: %w", err)
	}
	r := &registry{dir: dir, names: map[string]descriptor{}, known: map[string]descriptor{}}
	for _, d := range idx.Manifests {
		r.names[d.Annotations[nameAnnot]] = d
		r.known[d.Digest] = d
	}
	log.Printf("serving %d names from %s on %s", len(r.names), dir, listen)
	return http.ListenAndServe(listen, r)
}

func apiError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"errors":[{"code":%q,"message":%q}]}`, code, msg)
}

func (r *registry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		apiError(w, http.StatusMethodNotAllowed, "UNSUPPORTED", "read-only registry")
		return
	}
	p := strings.TrimPrefix(req.URL.Path, "/v2/")
	if p == "" || p == req.URL.Path {
		w.WriteHeader(http.StatusOK)
		return
	}
	var repo, kind, ref string
	for _, k := range []string{"/manifests/", "/blobs/"} {
		if i := strings.LastIndex(p, k); i > 0 {
			repo, kind, ref = p[:i], strings.Trim(k, "/"), p[i+len(k):]
			break
		}
	}
	if repo == "" {
		apiError(w, http.StatusNotFound, "NAME_UNKNOWN", p)
		return
	}
	host := req.URL.Query().Get("ns")
	if host == "" {
		host = "docker.io"
	}
	var d descriptor
	var ok bool
	switch {
	case kind == "blobs":
		d = descriptor{MediaType: "application/octet-stream", Digest: ref}
		ok = true
	case strings.HasPrefix(ref, "sha256:"):
		d, ok = r.known[ref]
	default:
		d, ok = r.names[host+"/"+repo+":"+ref]
	}
	if !ok {
		log.Printf("%s %s: unknown (ns=%s)", req.Method, req.URL.Path, host)
		apiError(w, http.StatusNotFound, "MANIFEST_UNKNOWN", host+"/"+repo+":"+ref)
		return
	}
	hexsum, found := strings.CutPrefix(d.Digest, "sha256:")
	if !found || strings.ContainsAny(hexsum, "/.") {
		apiError(w, http.StatusBadRequest, "DIGEST_INVALID", d.Digest)
		return
	}
	f, err := os.Open(filepath.Join(r.dir, "blobs", "sha256", hexsum))
	if errors.Is(err, os.ErrNotExist) {
		apiError(w, http.StatusNotFound, "BLOB_UNKNOWN", d.Digest)
		return
	} else if err != nil {
		apiError(w, http.StatusInternalServerError, "UNKNOWN", err.Error())
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		apiError(w, http.StatusInternalServerError, "UNKNOWN", err.Error())
		return
	}
	w.Header().Set("Content-Type", d.MediaType)
	w.Header().Set("Docker-Content-Digest", d.Digest)
	w.Header().Set("Content-Length", strconv.FormatInt(st.Size(), 10))
	w.WriteHeader(http.StatusOK)
	if req.Method == http.MethodGet {
		_, _ = io.Copy(w, f)
	}
}
