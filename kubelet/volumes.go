package kubelet

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/kubelet/runtime"
)

// Volumes. On a node whose runtime runs real containers (not Simulated),
// each volume of a pod is a directory under
// <RootDir>/pods/<uid>/volumes/<name> that the runtime bind-mounts:
// emptyDir an empty one; configMap, secret, downwardAPI and projected the
// files of their sources, written as the Kubernetes kubelet's atomic
// writer does (a timestamped ..<n> directory, the ..data symlink swapped
// to it by a rename, one symlink per top-level entry through ..data), and
// rewritten when their sources change (checked every
// ConfigRefreshPeriod); hostPath the host's own path. A subPath mount
// binds what the path resolves to when the container starts, so it does
// not see later updates, as in Kubernetes. On simulated nodes nothing is
// written: the sources are only read, so that a missing ConfigMap or
// Secret holds the pod as it does on Kubernetes.

// volumeFile is one file of a volume.
type volumeFile struct {
	data []byte
	mode fs.FileMode
}

// EventFailedMount is the event of a volume that could not be set up.
const EventFailedMount = "FailedMount"

// defaultFileMode is the mode of a volume's files when the pod names none.
const defaultFileMode = 0o644

func fileMode(item, def *int32) fs.FileMode {
	switch {
	case item != nil:
		return fs.FileMode(*item) & fs.ModePerm
	case def != nil:
		return fs.FileMode(*def) & fs.ModePerm
	}
	return defaultFileMode
}

// podDir is the pod's directory under the kubelet's root.
func (k *Kubelet) podDir(uid string) string {
	return filepath.Join(k.cfg.RootDir, "pods", uid)
}

// removePodDir removes what the kubelet wrote for the pod.
func (k *Kubelet) removePodDir(uid string) error {
	if k.cfg.RootDir == "" || uid == "" {
		return nil
	}
	if err := os.RemoveAll(k.podDir(uid)); err != nil {
		return fmt.Errorf("remove pod volumes: %w", err)
	}
	return nil
}

// writesFiles reports whether the node's pods get real volume files.
func (n *node) writesFiles() bool { return !n.Simulated }

// refreshable reports whether the pod has volumes whose content follows
// objects that can change.
func refreshable(pod *api.Pod) bool {
	for _, v := range pod.Spec.Volumes {
		if v.ConfigMap != nil || v.Secret != nil || v.Projected != nil || v.DownwardAPI != nil {
			return true
		}
	}
	return false
}

// setUpVolumes makes the pod's volumes as the package doc says and returns
// the host directory of each by name ("" on simulated nodes). A missing
// source that is not optional is an error.
func (s *podSync) setUpVolumes(ctx context.Context) (map[string]string, error) {
	k, n, pod := s.k, s.w.node, s.pod
	files := n.writesFiles()
	if files && k.cfg.RootDir == "" {
		return nil, errors.New("the kubelet has no rootDir to write volumes in")
	}
	dirs := make(map[string]string, len(pod.Spec.Volumes))
	for i := range pod.Spec.Volumes {
		v := &pod.Spec.Volumes[i]
		dir := filepath.Join(k.podDir(pod.UID), "volumes", v.Name)
		var payload map[string]volumeFile
		var err error
		switch {
		case v.HostPath != nil:
			if files {
				err = hostPath(v.HostPath)
			}
			dir = v.HostPath.Path
		case v.EmptyDir != nil:
			if files {
				err = os.MkdirAll(dir, 0o777)
				if err == nil {
					err = os.Chmod(dir, 0o777)
				}
			}
		case v.ConfigMap != nil:
			src := v.ConfigMap
			payload, err = configMapFiles(ctx, n.objects, pod.Namespace, src.Name, src.Items, src.Optional, src.DefaultMode)
		case v.Secret != nil:
			src := v.Secret
			payload, err = secretFiles(ctx, n.objects, pod.Namespace, src.SecretName, src.Items, src.Optional, src.DefaultMode)
		case v.DownwardAPI != nil:
			payload, err = downwardFiles(pod, v.DownwardAPI.Items, v.DownwardAPI.DefaultMode, s.rs.IP, k.cfg.Address)
		case v.Projected != nil:
			payload, err = s.projectedFiles(ctx, v.Projected, files)
		default:
			continue // a source minik8s does not mount (the API accepts only those above)
		}
		if err != nil {
			return nil, fmt.Errorf("MountVolume.SetUp failed for volume %q : %w", v.Name, err)
		}
		if payload != nil && files {
			if err := s.w.writeVolume(dir, payload); err != nil {
				return nil, fmt.Errorf("MountVolume.SetUp failed for volume %q : %w", v.Name, err)
			}
		}
		if files {
			dirs[v.Name] = dir
		}
	}
	return dirs, nil
}

// hostPath checks or creates a hostPath volume's path as its type says.
func hostPath(h *api.HostPathVolumeSource) error {
	typ := ""
	if h.Type != nil {
		typ = *h.Type
	}
	st, err := os.Stat(h.Path)
	switch typ {
	case "DirectoryOrCreate":
		if errors.Is(err, fs.ErrNotExist) {
			return os.MkdirAll(h.Path, 0o755)
		}
	case "FileOrCreate":
		if errors.Is(err, fs.ErrNotExist) {
			if err := os.MkdirAll(filepath.Dir(h.Path), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(h.Path, os.O_CREATE|os.O_WRONLY, 0o644)
			if err != nil {
				return err
			}
			return f.Close()
		}
	case "Directory":
		if err != nil || !st.IsDir() {
			return fmt.Errorf("hostPath type check failed: %s is not a directory", h.Path)
		}
	case "File":
		if err != nil || !st.Mode().IsRegular() {
			return fmt.Errorf("hostPath type check failed: %s is not a file", h.Path)
		}
	}
	return nil
}

func configMapFiles(ctx context.Context, g configGetter, ns, name string, items []api.KeyToPath, opt *bool, def *int32) (map[string]volumeFile, error) {
	cm, err := g.configMap(ctx, ns, name)
	if errors.Is(err, errMissing) && optional(opt) {
		return map[string]volumeFile{}, nil
	}
	if err != nil {
		return nil, err
	}
	data := make(map[string][]byte, len(cm.Data)+len(cm.BinaryData))
	for k, v := range cm.BinaryData {
		data[k] = v
	}
	for k, v := range cm.Data {
		data[k] = []byte(v)
	}
	return keyFiles("configmap", data, items, opt, def)
}

func secretFiles(ctx context.Context, g configGetter, ns, name string, items []api.KeyToPath, opt *bool, def *int32) (map[string]volumeFile, error) {
	sec, err := g.secret(ctx, ns, name)
	if errors.Is(err, errMissing) && optional(opt) {
		return map[string]volumeFile{}, nil
	}
	if err != nil {
		return nil, err
	}
	return keyFiles("secret", sec.Data, items, opt, def)
}

// keyFiles maps keys to files: every key, or the items.
func keyFiles(kind string, data map[string][]byte, items []api.KeyToPath, opt *bool, def *int32) (map[string]volumeFile, error) {
	out := map[string]volumeFile{}
	if len(items) == 0 {
		for k, v := range data {
			out[k] = volumeFile{data: v, mode: fileMode(nil, def)}
		}
		return out, nil
	}
	for _, it := range items {
		v, ok := data[it.Key]
		if !ok {
			if optional(opt) {
				continue
			}
			return nil, missingf("%s references non-existent config key: %s", kind, it.Key)
		}
		out[it.Path] = volumeFile{data: v, mode: fileMode(it.Mode, def)}
	}
	return out, nil
}

func downwardFiles(pod *api.Pod, items []api.DownwardAPIVolumeFile, def *int32, podIP, hostIP string) (map[string]volumeFile, error) {
	out := map[string]volumeFile{}
	for _, it := range items {
		var v string
		var err error
		switch {
		case it.FieldRef != nil:
			v, err = podField(pod, it.FieldRef.FieldPath, podIP, hostIP)
		case it.ResourceFieldRef != nil:
			v, err = resourceField(pod, nil, it.ResourceFieldRef)
		}
		if err != nil {
			return nil, err
		}
		out[it.Path] = volumeFile{data: []byte(v), mode: fileMode(it.Mode, def)}
	}
	return out, nil
}

// projectedFiles merges the files of a projected volume's sources; the
// ServiceAccount token is requested only when files are written.
func (s *podSync) projectedFiles(ctx context.Context, p *api.ProjectedVolumeSource, files bool) (map[string]volumeFile, error) {
	out := map[string]volumeFile{}
	g := s.w.node.objects
	for _, src := range p.Sources {
		var part map[string]volumeFile
		var err error
		switch {
		case src.ConfigMap != nil:
			part, err = configMapFiles(ctx, g, s.pod.Namespace, src.ConfigMap.Name, src.ConfigMap.Items, src.ConfigMap.Optional, p.DefaultMode)
		case src.Secret != nil:
			part, err = secretFiles(ctx, g, s.pod.Namespace, src.Secret.Name, src.Secret.Items, src.Secret.Optional, p.DefaultMode)
		case src.DownwardAPI != nil:
			part, err = downwardFiles(s.pod, src.DownwardAPI.Items, p.DefaultMode, s.rs.IP, s.k.cfg.Address)
		case src.ServiceAccountToken != nil && files:
			var tok string
			tok, err = s.k.podToken(ctx, s.w, s.pod, src.ServiceAccountToken)
			part = map[string]volumeFile{src.ServiceAccountToken.Path: {data: []byte(tok), mode: fileMode(nil, p.DefaultMode)}}
		}
		if err != nil {
			return nil, err
		}
		for k, v := range part {
			out[k] = v
		}
	}
	return out, nil
}

// writeVolume writes payload into dir as the atomic writer does, unless
// it is what this worker last wrote there.
func (w *podWorker) writeVolume(dir string, payload map[string]volumeFile) error {
	sum := payloadSum(payload)
	if w.volumeSums[dir] == sum {
		return nil
	}
	if err := writeAtomic(dir, payload); err != nil {
		return err
	}
	if w.volumeSums == nil {
		w.volumeSums = map[string][32]byte{}
	}
	w.volumeSums[dir] = sum
	return nil
}

func payloadSum(payload map[string]volumeFile) [32]byte {
	paths := make([]string, 0, len(payload))
	for p := range payload {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	h := sha256.New()
	for _, p := range paths {
		f := payload[p]
		fmt.Fprintf(h, "%s\x00%o\x00%d\x00", p, f.mode, len(f.data))
		h.Write(f.data)
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return sum
}

// dataLink is the symlink to the current payload directory.
const dataLink = "..data"

// writeAtomic replaces the files of dir with payload so that a reader
// sees the old set or the new one, never a mix: the new files go to a new
// ..<time> directory, the ..data symlink is swapped to it by a rename, the
// top-level entries are symlinks through ..data, and the old directory is
// removed.
func writeAtomic(dir string, payload map[string]volumeFile) error {
	for p := range payload {
		if p == "" || filepath.IsAbs(p) || strings.HasPrefix(p, "..") || slices.Contains(strings.Split(p, "/"), "..") {
			return fmt.Errorf("invalid file path %q", p)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, _ := os.Readlink(filepath.Join(dir, dataLink))
	if old != "" && samePayload(filepath.Join(dir, old), payload) {
		return nil
	}
	ts, err := os.MkdirTemp(dir, time.Now().UTC().Format("..2006_01_02_15_04_05."))
	if err != nil {
		return err
	}
	if err := os.Chmod(ts, 0o755); err != nil {
		return err
	}
	for p, f := range payload {
		full := filepath.Join(ts, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, f.data, f.mode); err != nil {
			return err
		}
		if err := os.Chmod(full, f.mode); err != nil { // WriteFile's mode is masked by the umask
			return err
		}
	}
	tmp := filepath.Join(dir, dataLink+"_tmp")
	_ = os.Remove(tmp)
	if err := os.Symlink(filepath.Base(ts), tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, dataLink)); err != nil {
		return err
	}
	top := map[string]bool{}
	for p := range payload {
		first, _, _ := strings.Cut(p, "/")
		top[first] = true
	}
	for name := range top {
		link := filepath.Join(dir, name)
		if _, err := os.Lstat(link); errors.Is(err, fs.ErrNotExist) {
			if err := os.Symlink(filepath.Join(dataLink, name), link); err != nil {
				return err
			}
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, ".."):
			if name != dataLink && name != filepath.Base(ts) {
				_ = os.RemoveAll(filepath.Join(dir, name))
			}
		case !top[name] && e.Type()&fs.ModeSymlink != 0:
			_ = os.Remove(filepath.Join(dir, name))
		}
	}
	return nil
}

// samePayload reports whether the directory holds exactly payload.
func samePayload(dir string, payload map[string]volumeFile) bool {
	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		f, ok := payload[filepath.ToSlash(rel)]
		if !ok {
			return errors.New("extra")
		}
		info, err := d.Info()
		if err != nil || info.Mode().Perm() != f.mode {
			return errors.New("mode")
		}
		b, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(b, f.data) {
			return errors.New("data")
		}
		n++
		return nil
	})
	return err == nil && n == len(payload)
}

// containerMounts returns the runtime mounts of c's volume mounts, from
// the volumes' host directories.
func containerMounts(pod *api.Pod, c *api.Container, dirs map[string]string) ([]runtime.Mount, error) {
	if dirs == nil {
		return nil, nil
	}
	var out []runtime.Mount
	for _, m := range c.VolumeMounts {
		dir, ok := dirs[m.Name]
		if !ok {
			return nil, fmt.Errorf("volume %q of mount %s is not available", m.Name, m.MountPath)
		}
		ro := m.ReadOnly
		for _, v := range pod.Spec.Volumes {
			if v.Name == m.Name && (v.ConfigMap != nil || v.Secret != nil || v.Projected != nil || v.DownwardAPI != nil) {
				ro = true // the kubelet mounts these read-only
			}
		}
		host := dir
		if m.SubPath != "" {
			if filepath.IsAbs(m.SubPath) || slices.Contains(strings.Split(m.SubPath, "/"), "..") {
				return nil, fmt.Errorf("subPath %q must be a relative path without '..'", m.SubPath)
			}
			host = filepath.Join(dir, m.SubPath)
			if _, err := os.Lstat(host); errors.Is(err, fs.ErrNotExist) {
				if err := os.MkdirAll(host, 0o755); err != nil {
					return nil, err
				}
			}
			// Resolve the atomic writer's symlinks now: the bind follows
			// them once, so a subPath mount keeps the file it started with.
			if r, err := filepath.EvalSymlinks(host); err == nil {
				host = r
			}
		}
		out = append(out, runtime.Mount{HostPath: host, ContainerPath: m.MountPath, ReadOnly: ro})
	}
	return out, nil
}
