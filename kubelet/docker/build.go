package docker

import (
	"archive/tar"
	"context"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"
)

// BuildImage builds an image tagged tag on the engine, from a context
// holding dockerfile as "Dockerfile" and each files[name] (a host path) as
// name, executable. The context is streamed, not held in memory.
func (r *Runtime) BuildImage(ctx context.Context, tag, dockerfile string, files map[string]string) error {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(writeContext(pw, dockerfile, files)) }()
	defer pr.Close() // ends the writer if the build stops reading

	res, err := r.cli.ImageBuild(ctx, pr, client.ImageBuildOptions{
		Tags: []string{tag}, Remove: true, ForceRemove: true,
	})
	if err != nil {
		return fmt.Errorf("build image %s: %w", tag, err)
	}
	defer res.Body.Close()
	dec := json.NewDecoder(res.Body)
	for {
		var m jsonstream.Message
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("build image %s: read progress: %w", tag, err)
		}
		if m.Error != nil {
			return fmt.Errorf("build image %s: %s", tag, m.Error.Message)
		}
	}
}

func writeContext(w io.Writer, dockerfile string, files map[string]string) error {
	tw := tar.NewWriter(w)
	if err := tw.WriteHeader(&tar.Header{Name: "Dockerfile", Mode: 0o644, Size: int64(len(dockerfile))}); err != nil {
		return err
	}
	if _, err := io.WriteString(tw, dockerfile); err != nil {
		return err
	}
	for name, path := range files {
		if err := addFile(tw, name, path); err != nil {
			return err
		}
	}
	return tw.Close()
}

func addFile(tw *tar.Writer, name, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: fi.Size()}); err != nil {
		return err
	}
	_, err = io.Copy(tw, f)
	return err
}

// pauseDockerfile makes the pause image from an executable linking this
// package (see pause.go).
const pauseDockerfile = "FROM scratch\nCOPY pause /pause\nENV " + pauseEnv + "=1\nENTRYPOINT [\"/pause\"]\n"

// ensurePauseImage makes sure the sandbox image is present: built from the
// running executable if it is DefaultPauseImage, pulled otherwise.
func (r *Runtime) ensurePauseImage(ctx context.Context) error {
	pauseMu.Lock()
	defer pauseMu.Unlock()
	if r.pauseReady {
		return nil
	}
	present, err := r.imagePresent(ctx, r.cfg.PauseImage)
	if err != nil {
		return fmt.Errorf("pause image %s: %w", r.cfg.PauseImage, err)
	}
	switch {
	case present:
	case r.cfg.PauseImage == DefaultPauseImage:
		if err := r.buildFromExecutable(ctx, r.cfg.PauseImage, pauseDockerfile, "pause"); err != nil {
			return err
		}
	default:
		if err := r.pull(ctx, r.cfg.PauseImage); err != nil {
			return fmt.Errorf("pull pause image %s: %w", r.cfg.PauseImage, err)
		}
	}
	r.pauseReady = true
	return nil
}

// buildFromExecutable builds image from dockerfile, whose context holds
// the running executable as file name, unless the engine has the image.
func (r *Runtime) buildFromExecutable(ctx context.Context, image, dockerfile, name string) error {
	present, err := r.imagePresent(ctx, image)
	if err != nil {
		return fmt.Errorf("build %s: %w", image, err)
	}
	if present {
		return nil
	}
	return r.buildExecutableImage(ctx, image, dockerfile, name)
}

// buildExecutableImage builds image from dockerfile, whose context holds
// the running executable as file name.
func (r *Runtime) buildExecutableImage(ctx context.Context, image, dockerfile, name string) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("build %s: %w", image, err)
	}
	if err := checkStatic(exe); err != nil {
		return fmt.Errorf("build %s: %w", image, err)
	}
	r.log.Info().Str("image", image).Str("from", exe).Msg("building image from this executable")
	return r.BuildImage(ctx, image, dockerfile, map[string]string{name: exe})
}

// checkStatic returns an error if the ELF executable at path needs a
// dynamic loader, which a FROM scratch image lacks.
func checkStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked; build it with CGO_ENABLED=0", path)
		}
	}
	return nil
}
