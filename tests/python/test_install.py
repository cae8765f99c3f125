"""The package installs with pip (offline: no build isolation) and imports under
Debian's /usr/bin/python3, next to the system's psycopg2 and MySQLdb."""
import os
import pathlib
import shutil
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_pip_install_into_a_venv_and_import(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    # setuptools builds in the source folder: install from a copy, never touch the tree.
    source = tmp_path / "source"
    shutil.copytree(ROOT / "bindings" / "python", source)
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-build-isolation", "--no-deps", "--no-index",
                    str(source)], check=True, cwd=tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the installed copy, not the tree
    out = subprocess.run([python, "-c", "import verifull, psycopg2, MySQLdb; print(verifull.__file__, verifull.__version__)"],
                         check=True, capture_output=True, text=True, env=env, cwd=tmp_path).stdout
    assert str(venv) in out
    assert "0.1.0" in out
