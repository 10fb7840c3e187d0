"""More varied training audio: MIDI we compose at random, rendered with FluidSynth.

Our five training soundtracks hold 8.5 hours of music; distilled on those alone the CNN learns
the tracks by heart. The teacher can label any audio, so we add music of many more sounds:
each synthetic "album" fixes a style (tempo, scale, General MIDI instruments for lead, chords
and bass, a drum pattern or none, note density, articulation) and its tracks are new random
pieces in that style. Rendering uses Debian's ``fluidsynth`` and ``fluid-soundfont-gm``::

    sudo apt-get install fluidsynth fluid-soundfont-gm
    python -m recommender.train.synth_midi --cache DIR

It writes ``DIR/synthetic/<album>/<track>.wav`` (16 kHz) and ``DIR/synthetic.tsv`` in the
manifest's format. Fixed seed: the same command writes the same notes.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from recommender.train.manifest import ManifestRow, read_manifest

SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
SYNTHETIC_MANIFEST = "synthetic.tsv"
SAMPLE_RATE_HZ = 16000
TICKS_PER_BEAT = 480
SCALES = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "harmonic minor": (0, 2, 3, 5, 7, 8, 11),
    "pentatonic": (0, 2, 4, 7, 9),
    "phrygian": (0, 1, 3, 5, 7, 8, 10),
}
# General MIDI programs grouped by role, so a style's instruments make sense together.
LEADS = [0, 4, 6, 11, 13, 19, 21, 24, 25, 26, 40, 41, 56, 57, 60, 64, 65, 68, 71, 73, 75, 80, 81]
PADS = [0, 4, 16, 19, 24, 46, 48, 49, 50, 52, 61, 88, 89, 90, 91, 94, 95]
BASSES = [32, 33, 34, 35, 36, 38, 39, 42, 43, 58, 70]
DRUM_PATTERNS = ("none", "rock", "four", "sparse", "shuffle", "toms")


@dataclass(frozen=True)
class Style:
    """What the tracks of one synthetic album share."""

    tempo_bpm: float
    scale: tuple[int, ...]
    root: int
    lead: int
    pad: int
    bass: int
    drums: str
    density: float  # lead notes per beat
    legato: float  # fraction of a note's slot it sounds
    loudness: int  # base MIDI velocity


def random_style(rng: np.random.Generator) -> Style:
    return Style(
        tempo_bpm=float(rng.uniform(60, 170)),
        scale=SCALES[list(SCALES)[rng.integers(len(SCALES))]],
        root=int(rng.integers(52, 64)),
        lead=int(rng.choice(LEADS)),
        pad=int(rng.choice(PADS)),
        bass=int(rng.choice(BASSES)),
        drums=str(rng.choice(DRUM_PATTERNS)),
        density=float(rng.choice([0.5, 1, 2, 3, 4])),
        legato=float(rng.uniform(0.3, 1.0)),
        loudness=int(rng.integers(60, 110)),
    )


def _drum_hits(pattern: str, beat: int) -> list[tuple[float, int]]:
    """(offset in beats, GM drum note) for one beat of ``pattern``."""
    kick, snare, hat, tom_lo, tom_hi, ride = 36, 38, 42, 45, 50, 51
    if pattern == "rock":
        return [(0, kick if beat % 2 == 0 else snare), (0, hat), (0.5, hat)]
    if pattern == "four":
        return [(0, kick), (0.5, hat)] + ([(0, 39)] if beat % 2 else [])
    if pattern == "sparse":
        return [(0, kick)] if beat % 4 == 0 else ([(0, ride)] if beat % 2 else [])
    if pattern == "shuffle":
        return [(0, ride), (2 / 3, ride)] + ([(0, snare)] if beat % 2 else [(0, kick)])
    if pattern == "toms":
        return [(0, tom_lo), (0.5, tom_hi if beat % 2 else tom_lo)]
    return []


def compose(style: Style, seconds: float, rng: np.random.Generator):
    """One piece in ``style`` as a ``mido.MidiFile``: chords, bass, a wandering lead, drums."""
    import mido

    beats = int(seconds * style.tempo_bpm / 60)
    events: list[tuple[int, mido.Message]] = []  # (absolute tick, message)

    def note(channel: int, pitch: int, start: float, length: float, velocity: int) -> None:
        pitch = int(np.clip(pitch, 24, 108))
        velocity = int(np.clip(velocity, 1, 127))
        on, off = int(start * TICKS_PER_BEAT), int((start + length) * TICKS_PER_BEAT)
        events.append((on, mido.Message("note_on", channel=channel, note=pitch, velocity=velocity)))
        events.append((max(off, on + 1), mido.Message("note_off", channel=channel, note=pitch)))

    scale = np.array(style.scale)

    def degree(d: int) -> int:
        return style.root + 12 * (d // len(scale)) + int(scale[d % len(scale)])

    progression = rng.integers(0, len(scale), size=4)
    position = int(rng.integers(0, len(scale))) + len(scale)
    for bar in range(beats // 4 + 1):
        chord_root = int(progression[bar % 4])
        start = bar * 4.0
        for third in (0, 2, 4):
            note(1, degree(chord_root + third), start, 4 * style.legato, style.loudness - 25)
        for beat in range(4):
            if rng.random() < 0.8:
                note(2, degree(chord_root) - 24, start + beat, style.legato, style.loudness - 5)
            for offset, drum in _drum_hits(style.drums, beat):
                note(
                    9,
                    drum,
                    start + beat + offset,
                    0.1,
                    style.loudness - 10 + int(rng.integers(-8, 9)),
                )
        step = 1.0 / style.density
        t = start
        while t < start + 4:
            if rng.random() < 0.85:
                position = int(np.clip(position + rng.integers(-2, 3), 0, 3 * len(scale)))
                velocity = style.loudness + int(rng.integers(-12, 13))
                note(0, degree(position), t, step * style.legato, velocity)
            t += step
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(style.tempo_bpm)))
    for channel, program in ((0, style.lead), (1, style.pad), (2, style.bass)):
        track.append(mido.Message("program_change", channel=channel, program=program))
    now = 0
    for tick, message in sorted(events, key=lambda e: (e[0], e[1].type == "note_on")):
        track.append(message.copy(time=tick - now))
        now = tick
    midi = mido.MidiFile(ticks_per_beat=TICKS_PER_BEAT)
    midi.tracks.append(track)
    return midi


def render(midi_path: Path, wav_path: Path, soundfont: Path) -> None:
    """FluidSynth renders faster than real time, straight to 16 kHz."""
    options = ["-ni", "-q", "-g", "0.6", "-r", str(SAMPLE_RATE_HZ), "-F", str(wav_path)]
    subprocess.run(
        ["fluidsynth", *options, str(soundfont), str(midi_path)],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def read_synthetic(cache: Path) -> list[ManifestRow]:
    if not (cache / SYNTHETIC_MANIFEST).exists():
        return []
    return read_manifest(cache, SYNTHETIC_MANIFEST)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m recommender.train.synth_midi",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--albums", type=int, default=100)
    parser.add_argument("--tracks", type=int, default=5, help="tracks per album")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--soundfont", type=Path, default=SOUNDFONT)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    if shutil.which("fluidsynth") is None or not args.soundfont.exists():
        raise SystemExit("needs Debian's fluidsynth and fluid-soundfont-gm (apt-get install)")
    cache = args.cache.resolve()
    out = cache / "synthetic"
    rng = np.random.default_rng(args.seed)
    rows, pending = [], []
    # Composing draws from one generator in a fixed order, so more albums later extend the
    # same set; tracks already rendered are kept. FluidSynth runs two at a time.
    with ThreadPoolExecutor(args.workers) as pool:
        for a in range(args.albums):
            style = random_style(rng)
            album = out / f"synth-{a:03d}"
            album.mkdir(parents=True, exist_ok=True)
            for t in range(args.tracks):
                midi_path, wav_path = album / f"{t:02d}.mid", album / f"{t:02d}.wav"
                compose(style, args.seconds, rng).save(midi_path)
                if not wav_path.exists():
                    pending.append(pool.submit(render, midi_path, wav_path, args.soundfont))
                rows.append((wav_path, album.name))
            print(f"{album.name}: {style}", flush=True)
        for job in pending:
            job.result()
    manifest = [
        (str(w.relative_to(cache)), name, round(sf.info(w).duration, 2)) for w, name in rows
    ]
    with open(cache / SYNTHETIC_MANIFEST, "w", newline="") as fh:
        writer = csv.writer(fh, delimiter="\t")
        writer.writerow(["path", "soundtrack", "duration_s"])
        writer.writerows(manifest)
    hours = sum(r[2] for r in manifest) / 3600
    print(
        f"{len(manifest)} synthetic tracks, {hours:.1f} h, manifest in {cache / SYNTHETIC_MANIFEST}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
