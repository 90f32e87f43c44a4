"""The first run on a machine: a helper process compiles the usual kernels on another core."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from wiretrace import _warm


def test_every_listed_kernel_is_a_declared_signature() -> None:
    kernels = _warm._kernels()
    entries = (*_warm.DEMO, *_warm.NEWS)
    assert len(set(entries)) == len(entries)
    for module, name, index in entries:
        kernel = kernels[(module, name)]
        assert 0 <= index < len(kernel.declared), (module, name, index)


def test_the_demo_needs_no_kernel_the_list_leaves_out(tmp_path: Path) -> None:
    # In one process (-j 1), so that every kernel it needs is seen.
    done = subprocess.run(
        [sys.executable, "-m", "wiretrace._warm", "--order", "demo", "-j", "1"]
        + ["-o", str(tmp_path / "demo.html")],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    needed = [ast.literal_eval(line) for line in done.stdout.splitlines()]
    assert needed, done.stderr
    assert set(needed) <= set(_warm.DEMO), set(needed) - set(_warm.DEMO)


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux's /proc")
def test_a_cold_cache_gets_a_helper_that_compiles_and_ends_with_the_block(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    script = textwrap.dedent(
        """
        import os, sys, time
        from pathlib import Path
        from wiretrace import _warm
        sys.path.insert(0, sys.argv[1])
        from test_warm import _children

        cache = Path(os.environ["NUMBA_CACHE_DIR"])
        with _warm.warming() as cold:
            helpers = _children(os.getpid())
            # The helper compiles the demo's last kernel first: wait for its cached code.
            for _ in range(1200 if helpers else 0):
                if any(cache.rglob("*.nbc")):
                    break
                time.sleep(0.1)
            compiled = any(cache.rglob("*.nbc"))
        print(cold, len(helpers), compiled, len(_children(os.getpid())))
        """
    )
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    env.pop(_warm._HELPER, None)
    done = subprocess.run(
        [sys.executable, "-c", script, str(Path(__file__).parent)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    expected = "True 1 True 0" if (os.cpu_count() or 1) > 1 else "True 0 False 0"
    assert done.stdout.split("\n")[0] == expected


def _refused(*_: object, **__: object) -> None:
    raise AssertionError("no helper process expected")


def test_a_warm_cache_starts_no_helper(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_warm, "missing", lambda: False)
    monkeypatch.setattr(subprocess, "Popen", _refused)
    with _warm.warming() as cold:
        assert cold is False


def test_a_helper_starts_no_helper(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_warm, "missing", lambda: True)
    monkeypatch.setattr(subprocess, "Popen", _refused)
    monkeypatch.setenv(_warm._HELPER, "1")
    with _warm.warming() as cold:
        assert cold is False


def test_no_helper_where_numba_compiles_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    from numba import config

    monkeypatch.setattr(config, "DISABLE_JIT", True)
    assert _warm.missing() is False


def test_usual_loads_load_each_listed_kernel_a_step_at_a_time() -> None:
    """In a new process, taking every step of `usual_loads` leaves each listed kernel with its
    listed signature and no other, and a second pass has no step left. Checked in a second new
    process: with kernels missing from the disk cache (after an edit), compiling one compiles
    the kernels it calls too, which loading it from the cache does not."""
    code = textwrap.dedent(
        """
        from wiretrace import _warm
        steps = 0
        for load in _warm.usual_loads():
            load(); steps += 1
        assert next(_warm.usual_loads(), None) is None
        listed = {}
        for module, name, index in (*_warm.DEMO, *_warm.NEWS):
            listed.setdefault((module, name), set()).add(index)
        for key, kernel in _warm._kernels().items():
            loaded = {k for k, declared in enumerate(kernel.declared) if declared in kernel.overloads}
            assert loaded == listed.get(key, set()), (key, loaded)
        print(steps)
        """
    )
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=False
        )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == len(_warm.DEMO) + len(_warm.NEWS)


def test_no_helper_without_an_interpreter_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """An embedded Python, whose sys.executable is empty, compiles as it goes (Popen of None
    raised TypeError)."""
    monkeypatch.setattr(_warm, "missing", lambda: True)
    monkeypatch.setattr(subprocess, "Popen", _refused)
    monkeypatch.setattr(sys, "executable", "")
    monkeypatch.delenv(_warm._HELPER, raising=False)
    with _warm.warming() as cold:
        assert cold is True
