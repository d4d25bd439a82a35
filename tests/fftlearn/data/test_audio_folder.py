"""The ``audio_folder`` data set on small folders written here: labels by sub-folder and by
manifest (CSV, JSON; class or f0), the split by file, the resampler's anti-aliasing, framing by
hop with silence skipped, the content-hash cache, and one line for each mistake a user makes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile
from scipy.signal import resample_poly

from fftlearn import ConfigError
from fftlearn.data import AudioFolderConfig, TaskConfig, make_frames, make_task_data
from fftlearn.data._audio_files import AudioFile, read_audio
from fftlearn.data._audio_folder import frame_starts

RATE = 22_050


def tone(f0: float, seconds: float, *, rate: int = RATE, silent_from: float | None = None) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    x = 0.5 * np.sin(2 * np.pi * f0 * t)
    if silent_from is not None:
        x[t >= silent_from] = 0.0
    return x


def write(path: Path, audio: np.ndarray, rate: int = RATE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(path, audio, rate)
    return path


def file_name(i: int) -> str:
    """``0.wav``, ``1.flac``, ``2.ogg`` (Ogg Vorbis), ``3.wav``, ..."""
    return f"{i}.{('wav', 'flac', 'ogg')[i % 3]}"


def folder(root: Path, classes: dict[str, int], *, seconds: float = 0.3) -> Path:
    """``root/<class>/<i>.wav|flac|ogg``: ``classes[c]`` tones per class, each at its own f0."""
    for k, (label, count) in enumerate(classes.items()):
        for i in range(count):
            write(root / label / file_name(i), tone(200.0 * (k + 1) + 7 * i, seconds))
    return root


def config(root: Path, **fields: object) -> AudioFolderConfig:
    defaults = {"frame_length": 256, "hop_length": 128, "cache_dir": str(root.parent / "cache")}
    return AudioFolderConfig(root=str(root), **{**defaults, **fields})  # type: ignore[arg-type]


def test_sub_folders_are_the_classes_and_no_file_is_in_both_splits(tmp_path: Path) -> None:
    root = folder(tmp_path / "audio", {"cello": 5, "bird": 4, "drum": 2})
    data = config(root)
    data.check_sources()
    assert data.label_names() == ("bird", "cello", "drum")
    task = TaskConfig(name="label", data=data)
    assert task.n_classes == 3
    train, test = make_task_data(task, seed=0)
    assert set(train.labels.tolist()) == set(test.labels.tolist()) == {0, 1, 2}
    assert train.class_names == test.class_names == ("bird", "cello", "drum")
    # every frame of a file is the same tone: a frame's f0 identifies its file, so no frame of a
    # test file may equal any training frame
    assert not (np.abs(train.frames[:, None, :] - test.frames[None, :, :]).max(axis=2) < 1e-6).any()
    files = {f.path for f in data.files()}
    assert len(files) == 11 and {p.suffix for p in files} == {".wav", ".flac", ".ogg"}


def test_the_seed_split_holds_out_a_fifth_of_each_class_at_least_one(tmp_path: Path) -> None:
    root = folder(tmp_path / "audio", {"a": 10, "b": 2})
    data = config(root, max_frames_per_file=1)
    for seed in range(4):
        test = make_frames(data, split="test", seed=seed)
        train = make_frames(data, split="train", seed=seed)
        assert np.bincount(test.label).tolist() == [2, 1] and np.bincount(train.label).tolist() == [8, 1]
    assert not np.array_equal(
        make_frames(data, split="test", seed=0).frames, make_frames(data, split="test", seed=1).frames
    )


def test_frames_step_by_hop_and_skip_silence(tmp_path: Path) -> None:
    root = tmp_path / "audio"
    loud = write(root / "x" / "loud.wav", tone(440.0, 1.0, rate=16_000), rate=16_000)
    half = write(root / "x" / "half.wav", tone(440.0, 1.0, rate=16_000, silent_from=0.5), rate=16_000)
    data = config(root, frame_length=400, hop_length=200, sample_rate=16_000)

    def starts(path: Path, settings: AudioFolderConfig = data) -> list[int]:
        audio = read_audio(AudioFile(path, "x", "root/x"), sample_rate=16_000)
        return frame_starts(audio, config=settings).tolist()

    assert starts(loud) == list(range(0, 16_000 - 400 + 1, 200))  # 79 frames
    assert starts(half) == list(range(0, 7_801, 200))  # none in the silent half; 7800 is half loud (-3 dB)
    capped = starts(
        loud, config(root, frame_length=400, hop_length=200, sample_rate=16_000, max_frames_per_file=5)
    )
    assert len(capped) == 5 and capped[0] == 0 and capped[-1] == 15_600 and set(capped) <= set(starts(loud))
    gaps = np.diff(capped)
    assert gaps.max() - gaps.min() <= 200  # evenly spaced, to one hop


def test_resampling_is_anti_aliased(tmp_path: Path) -> None:
    """1 kHz + 12 kHz at 44.1 kHz read at 16 kHz: the 12 kHz tone (above the new 8 kHz Nyquist)
    must not fold back to 4 kHz; the 1 kHz tone keeps its level; it is scipy's resample_poly."""
    t = np.arange(44_100) / 44_100
    audio = 0.4 * np.sin(2 * np.pi * 1000 * t) + 0.4 * np.sin(2 * np.pi * 12_000 * t)
    path = write(tmp_path / "a" / "mix.wav", audio, rate=44_100)
    read = read_audio(AudioFile(path, "a", "root/a"), sample_rate=16_000)
    assert len(read) == 16_000
    stored = soundfile.read(path, dtype="float64")[0]
    np.testing.assert_allclose(read, resample_poly(stored, 160, 441), atol=1e-12)
    spectrum = np.abs(np.fft.rfft(read[2000:14000] * np.hanning(12_000)))
    freqs = np.fft.rfftfreq(12_000, 1 / 16_000)
    level = lambda hz: spectrum[np.abs(freqs - hz) < 20].max()  # noqa: E731
    assert 20 * np.log10(level(4000) / level(1000)) < -60.0


def test_the_cache_is_keyed_by_content(tmp_path: Path) -> None:
    root = folder(tmp_path / "audio", {"a": 3, "b": 3})
    data = config(root)
    first = np.concatenate([make_frames(data, split=split, seed=0).frames for split in ("train", "test")])
    cache = tmp_path / "cache"
    assert len(list(cache.glob("audio_folder-train-*.npz"))) == 1
    again = np.concatenate([make_frames(data, split=split, seed=0).frames for split in ("train", "test")])
    np.testing.assert_array_equal(first, again)
    assert len(list(cache.glob("*.npz"))) == 2  # one per split, read back the second time
    write(root / "a" / "0.wav", tone(1234.0, 0.3))  # one file's content changes, its name does not
    after = np.concatenate([make_frames(data, split=split, seed=0).frames for split in ("train", "test")])
    assert len(list(cache.glob("*.npz"))) == 4 and first.shape == after.shape
    assert not np.array_equal(first, after)


def test_a_csv_manifest_gives_labels_and_the_split(tmp_path: Path) -> None:
    root = folder(tmp_path / "audio", {"a": 3, "b": 3})
    rows = ["file,kind,part"] + [f"a/{file_name(i)},{'odd' if i else 'even'},train" for i in range(3)]
    rows += [f"{(root / 'b' / '0.wav')},even,test", "b/1.flac,odd,test"]  # an absolute path too
    (tmp_path / "m.csv").write_text("\n".join(rows) + "\n")
    data = config(
        root, manifest=str(tmp_path / "m.csv"), path_column="file", label_column="kind", split_column="part"
    )
    data.check_sources()
    assert data.label_names() == ("even", "odd")
    test = make_frames(data, split="test", seed=0)
    train = make_frames(data, split="train", seed=0)
    per_file = len(test) // 2  # every file is the same length
    assert len(data.files()) == 5  # the manifest's rows, not the 6 files under root
    assert np.bincount(test.label).tolist() == [per_file, per_file]  # b/0 even, b/1 odd
    assert np.bincount(train.label).tolist() == [per_file, 2 * per_file]  # a/0 even, a/1 and a/2 odd
    assert (
        make_frames(data, split="test", seed=7).frames.shape == test.frames.shape
    )  # the column, not the seed


def test_a_json_manifest_of_f0_labels_makes_a_pitch_task(tmp_path: Path) -> None:
    root = tmp_path / "audio"
    notes = {"n0.wav": 220.0, "n1.flac": 261.63, "n2.wav": 329.63, "n3.flac": 440.0, "n4.wav": 523.25}
    for name, f0 in notes.items():
        write(root / "notes" / name, tone(f0, 0.3))
    (tmp_path / "m.json").write_text(json.dumps([{"path": f"notes/{n}", "f0": f} for n, f in notes.items()]))
    data = config(root, manifest=str(tmp_path / "m.json"), label_column="f0", label_type="f0_hz")
    data.check_sources()
    assert data.pitch_range() == (57, 72) and data.label_names() is None
    task = TaskConfig(name="pitch", data=data)
    assert task.n_classes == 16
    train, test = make_task_data(task, seed=0)
    assert set(np.round(train.f0_hz, 2)) | set(np.round(test.f0_hz, 2)) == set(notes.values())
    np.testing.assert_array_equal(train.labels, np.round(69 + 12 * np.log2(train.f0_hz / 440)) - 57)
    with pytest.raises(ConfigError, match="classes"):
        TaskConfig(name="label", data=data)
    with pytest.raises(ConfigError, match="pitch range"):
        TaskConfig(name="pitch", data=config(folder(tmp_path / "c", {"a": 2, "b": 2})))


def one_line(error: pytest.ExceptionInfo[ConfigError]) -> str:
    text = str(error.value)
    assert "\n" not in text
    return text


def test_each_mistake_is_one_line_naming_the_field_and_the_file(tmp_path: Path) -> None:
    root = folder(tmp_path / "audio", {"a": 2, "b": 2})
    with pytest.raises(ConfigError) as error:
        config(tmp_path / "nowhere").check_sources()
    assert one_line(error).startswith("root:") and "nowhere" in one_line(error)
    (root / "a" / "broken.wav").write_bytes(b"RIFF this is not audio")
    with pytest.raises(ConfigError) as error:
        config(root).check_sources()
    assert (
        one_line(error).startswith("root:")
        and "broken.wav" in one_line(error)
        and "not a readable" in str(error.value)
    )
    (root / "a" / "broken.wav").unlink()
    write(root / "a" / "empty.wav", np.zeros(0))
    with pytest.raises(ConfigError) as error:
        config(root).check_sources()
    assert "empty.wav" in one_line(error) and "empty" in str(error.value)
    (root / "a" / "empty.wav").unlink()
    write(root / "a" / "short.flac", tone(300.0, 0.005))
    with pytest.raises(ConfigError) as error:
        config(root).check_sources()
    assert one_line(error).startswith("frame_length:") and "short.flac" in str(error.value)
    (root / "a" / "short.flac").unlink()
    write(root / "stray.wav", tone(300.0, 0.3))
    with pytest.raises(ConfigError) as error:
        config(root).check_sources()
    assert "stray.wav" in one_line(error) and "class sub-folder" in str(error.value)


def test_manifest_mistakes_name_the_row(tmp_path: Path) -> None:
    root = folder(tmp_path / "audio", {"a": 2, "b": 2})
    manifest = tmp_path / "m.csv"
    manifest.write_text("path,label\na/0.wav,x\na/9.wav,x\n")
    with pytest.raises(ConfigError) as error:
        config(root, manifest=str(manifest)).check_sources()
    assert (
        one_line(error).startswith("manifest:")
        and "row 2" in str(error.value)
        and "a/9.wav" in str(error.value)
    )
    manifest.write_text("path,f0\na/0.wav,220\na/1.flac,loud\nb/0.wav,330\n")
    with pytest.raises(ConfigError) as error:
        config(root, manifest=str(manifest), label_column="f0", label_type="f0_hz").check_sources()
    assert (
        one_line(error).startswith("label_column:")
        and "row 2" in str(error.value)
        and "1.flac" in str(error.value)
    )
    manifest.write_text("path,label\na/0.wav,x\n")
    with pytest.raises(ConfigError) as error:
        config(root, manifest=str(manifest), label_column="class").check_sources()
    assert one_line(error).startswith("label_column:") and "not a column" in str(error.value)


def test_a_class_without_a_test_file_is_refused(tmp_path: Path) -> None:
    root = folder(tmp_path / "audio", {"a": 3, "lonely": 1})
    with pytest.raises(ConfigError) as error:
        config(root).check_sources()
    assert one_line(error).startswith("test_fraction:") and "'lonely'" in str(error.value)
    root = folder(tmp_path / "audio2", {"a": 2, "b": 2})
    (tmp_path / "m.csv").write_text(
        "path,label,split\na/0.wav,a,train\na/1.flac,a,test\nb/0.wav,b,train\nb/1.flac,b,train\n"
    )
    with pytest.raises(ConfigError) as error:
        config(root, manifest=str(tmp_path / "m.csv"), split_column="split").check_sources()
    assert one_line(error).startswith("split_column:") and "'b' with no test file" in str(error.value)
    (tmp_path / "m.csv").write_text("path,label,split\na/0.wav,a,train\na/1.flac,a,valid\n")
    with pytest.raises(ConfigError) as error:
        config(root, manifest=str(tmp_path / "m.csv"), split_column="split").check_sources()
    assert "'valid'" in one_line(error) and "1.flac" in str(error.value)


def test_config_fields_are_validated(tmp_path: Path) -> None:
    for fields, field in (
        ({"root": ""}, "root"),
        ({"label_type": "f0_hz"}, "label_type"),
        ({"label_type": "words"}, "label_type"),
        ({"hop_length": 0}, "hop_length"),
        ({"test_fraction": 1.5}, "test_fraction"),
        ({"max_frames_per_file": -1}, "max_frames_per_file"),
    ):
        with pytest.raises(ConfigError) as error:
            AudioFolderConfig(**{"root": str(tmp_path), **fields})  # type: ignore[arg-type]
        assert error.value.field == field
    with pytest.raises(ConfigError) as error:
        TaskConfig(name="label")  # harmonic tones have no classes of their own
    assert error.value.field == "name" and "harmonic_tones" in str(error.value)


def test_the_config_reads_no_file_and_names_an_absolute_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A task on a folder is validated from its config alone (a stored study loads where the folder
    is gone); ``root`` is stored absolute, and a relative ``manifest`` is found under it."""
    gone = AudioFolderConfig(root=str(tmp_path / "gone"))
    assert TaskConfig(name="label", data=gone).data is gone
    pitched = AudioFolderConfig(root=str(tmp_path / "gone"), manifest="m.csv", label_type="f0_hz")
    assert TaskConfig(name="pitch", data=pitched).data is pitched
    folder(tmp_path / "audio", {"a": 2, "b": 2})
    (tmp_path / "audio" / "labels.csv").write_text(
        "path,label\na/0.wav,x\na/1.flac,x\nb/0.wav,y\nb/1.flac,y\n"
    )
    monkeypatch.chdir(tmp_path)
    data = AudioFolderConfig(root="audio", manifest="labels.csv", cache_dir="cache")
    assert data.root == str(tmp_path / "audio")
    data.check_sources()
    assert data.label_names() == ("x", "y")
