"""The deployment files in deploy/, run for real against the local PostgreSQL server.

- the Slurm script runs under plain ``bash`` as two array tasks sharing one study's budget,
  and stops cleanly on SIGTERM (the trial it ran is failed and queued again, exit 143);
- the Kubernetes Job's container command runs here with the Secret, the claim and the
  ConfigMap replaced by the local server and temporary directories;
- the PostgreSQL setup script makes a role and database that a study then runs in;
- the Dockerfile installs what ``scripts/setup.sh`` installs and runs ``fftnas``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlsplit

import optuna
import pytest

from nas import open_storage, resolve_storage
from nas.cli import build_parser
from tests.helpers import REPO, TRAINING_STARTED, write_tiny_experiment
from tests.services import POSTGRES_URL, require_service

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

DEPLOY = REPO / "deploy"
SBATCH = DEPLOY / "slurm" / "fftnas-workers.sbatch"
MANIFEST = DEPLOY / "kubernetes" / "fftnas-workers.yaml"
DOCKERFILE = DEPLOY / "Dockerfile"
PG_SETUP = DEPLOY / "postgres" / "setup.sh"
VENV_BIN = Path(sys.executable).parent
PG = urlsplit(POSTGRES_URL)


def require_postgres() -> None:
    require_service("PostgreSQL", PG.hostname or "127.0.0.1", PG.port or 5432)


def base_env(**extra: str) -> dict[str, str]:
    """This environment without any FFTNAS_* or SLURM_* variable, one thread, ``extra`` added."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FFTNAS_", "SLURM_"))}
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["OMP_NUM_THREADS"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    return {**env, **extra}


def load(url: str, name: str) -> optuna.Study:
    return optuna.load_study(study_name=name, storage=open_storage(resolve_storage(url), create=False))


def states(study: optuna.Study) -> Counter[str]:
    return Counter(t.state.name for t in study.get_trials(deepcopy=False))


@contextmanager
def deleted_afterwards(url: str, name: str):
    """Delete study ``name`` from ``url`` on the way out (if it was made)."""
    try:
        yield
    finally:
        storage = open_storage(resolve_storage(url), create=False)
        if name in {s.study_name for s in storage.get_all_studies()}:
            optuna.delete_study(study_name=name, storage=storage)


def storage_file(path: Path, url: str, mode: int = 0o600) -> Path:
    path.write_text(url, encoding="utf-8")  # no trailing newline, as deploy/README.md writes it
    path.chmod(mode)
    return path


# ---- Slurm ------------------------------------------------------------------------------------


def run_sbatch(
    *args: str, env: dict[str, str], cwd: Path, timeout: float = 20
) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(SBATCH), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def test_sbatch_script_is_valid_and_keeps_the_url_off_command_lines(tmp_path: Path) -> None:
    subprocess.run(["bash", "-n", str(SBATCH)], check=True)
    lines = SBATCH.read_text(encoding="utf-8").splitlines()
    # sbatch reads #SBATCH lines only before the first command
    first_command = next(i for i, line in enumerate(lines) if line.strip() and not line.startswith("#"))
    options = {line.split()[1].split("=")[0] for line in lines[:first_command] if line.startswith("#SBATCH")}
    assert {"--array", "--gres", "--time", "--signal", "--requeue"} <= options
    assert not any(line.startswith("#SBATCH") for line in lines[first_command:])
    # fftnas is exec'd (Slurm's SIGTERM reaches it) with the URL in FFTNAS_STORAGE, not --storage
    (launch,) = [line for line in lines if line.startswith("exec ")]
    assert launch.startswith("exec fftnas run ") and "--storage" not in launch and "--devices" in launch
    assert "export FFTNAS_STORAGE" in lines

    url = f"{POSTGRES_URL}?unused=1"
    env = base_env(FFTNAS_ARTIFACT_DIR=str(tmp_path / "artifacts"))
    refused = {
        "a --storage argument": (
            ["x.toml", f"--storage={url}"],
            storage_file(tmp_path / "ok", url),
            "--storage",
        ),
        "a file others can read": (["x.toml"], storage_file(tmp_path / "open", url, 0o644), "chmod 600"),
        "an empty file": (["x.toml"], storage_file(tmp_path / "empty", ""), "is empty"),
        "no file": (["x.toml"], tmp_path / "missing", "no storage file"),
    }
    for case, (args, file, message) in refused.items():
        result = run_sbatch(*args, env={**env, "FFTNAS_STORAGE_FILE": str(file)}, cwd=tmp_path)
        assert result.returncode == 2 and message in result.stderr, (case, result.stderr)


def test_sbatch_array_tasks_share_the_budget(tmp_path: Path) -> None:
    """Two array tasks at once, one with Slurm's variables and one without (plain bash)."""
    require_postgres()
    name = f"deploy-slurm-{uuid.uuid4().hex[:8]}"
    budget = 4
    experiment = write_tiny_experiment(tmp_path / "tiny.toml", name=name, trials=budget)
    artifacts = tmp_path / "shared" / "artifacts"  # made by the script
    env = base_env(
        FFTNAS_STORAGE_FILE=str(storage_file(tmp_path / "storage", POSTGRES_URL)),
        FFTNAS_ARTIFACT_DIR=str(artifacts),
    )
    slurm = {
        "SLURM_ARRAY_TASK_ID": "0",
        "SLURM_ARRAY_JOB_ID": "4242",
        "SLURM_CPUS_PER_TASK": "1",
        "SLURM_SUBMIT_DIR": str(REPO),
    }
    if (Path(sys.prefix) / "bin" / "activate").is_file():  # the script activates the venv itself
        path = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if p != str(VENV_BIN))
        slurm |= {"FFTNAS_VENV": sys.prefix, "PATH": path}
    command = ["bash", str(SBATCH), str(experiment), "--trials", str(budget)]
    with deleted_afterwards(POSTGRES_URL, name):
        tasks = [
            subprocess.Popen(
                command, env={**env, **slurm}, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            ),
            subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE),
        ]
        outputs = [task.communicate(timeout=240) for task in tasks]
        for task, (_, err) in zip(tasks, outputs):
            assert task.returncode == 0, err.decode()[-3000:]
        assert "array task 0 of job 4242" in outputs[0][1].decode()
        assert "array task 0 of job (none)" in outputs[1][1].decode()
        assert states(load(POSTGRES_URL, name)) == {"COMPLETE": budget}
        assert any(artifacts.iterdir()), "no artifacts in FFTNAS_ARTIFACT_DIR"


def test_sbatch_sigterm_requeues_the_running_trial(tmp_path: Path) -> None:
    """Slurm's SIGTERM (time limit, scancel) goes to the script's process: fftnas must get it."""
    require_postgres()
    name = f"deploy-sigterm-{uuid.uuid4().hex[:8]}"
    experiment = write_tiny_experiment(tmp_path / "tiny.toml", name=name, trials=6)
    env = base_env(
        FFTNAS_STORAGE_FILE=str(storage_file(tmp_path / "storage", POSTGRES_URL)),
        FFTNAS_ARTIFACT_DIR=str(tmp_path / "artifacts"),
    )
    with deleted_afterwards(POSTGRES_URL, name):
        task = subprocess.Popen(
            ["bash", str(SBATCH), str(experiment)], env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True
        )
        try:
            reader = open_storage(resolve_storage(POSTGRES_URL), create=False)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and task.poll() is None:
                time.sleep(0.05)
                if name not in {s.study_name for s in reader.get_all_studies()}:
                    continue
                study_id = reader.get_study_id_from_name(name)
                running = reader.get_all_trials(
                    study_id, deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)
                )
                if any(TRAINING_STARTED in t.user_attrs for t in running):  # in the middle of training
                    task.send_signal(signal.SIGTERM)
                    break
            _, err = task.communicate(timeout=60)
        finally:
            if task.poll() is None:
                task.kill()
        assert task.returncode == 143, err[-3000:]  # not -15: bash itself was not the one killed
        study = load(POSTGRES_URL, name)
        failed = [t for t in study.trials if t.state.name == "FAIL"]
        waiting = [t for t in study.trials if t.state.name == "WAITING"]
        assert len(failed) == 1 and "SIGTERM" in failed[0].user_attrs["fail_reason"]
        assert len(waiting) == 1 and waiting[0].params == failed[0].params
        assert states(study)["RUNNING"] == 0


# ---- Kubernetes -------------------------------------------------------------------------------


def manifests() -> dict[str, dict]:
    yaml = pytest.importorskip("yaml")  # PyYAML: not a dependency of fftnas
    documents = [d for d in yaml.safe_load_all(MANIFEST.read_text(encoding="utf-8")) if d]
    by_kind = {d["kind"]: d for d in documents}
    assert len(by_kind) == len(documents) and set(by_kind) == {"Secret", "PersistentVolumeClaim", "Job"}
    return by_kind


def job_container(job: dict) -> dict:
    (container,) = job["spec"]["template"]["spec"]["containers"]
    return container


def test_kubernetes_manifests_fit_together() -> None:
    docs = manifests()
    secret, claim, job = docs["Secret"], docs["PersistentVolumeClaim"], docs["Job"]
    pod = job["spec"]["template"]["spec"]
    container = job_container(job)

    # the container's command line is a valid `fftnas run` with no storage URL on it
    assert container["command"] == ["fftnas"]
    args = build_parser().parse_args(container["args"])
    assert args.command == "run" and args.devices == "all" and args.no_progress and args.storage is None
    assert not any(a.startswith("--storage") for a in container["args"])

    env = {e["name"]: e for e in container["env"]}
    ref = env["FFTNAS_STORAGE"]["valueFrom"]["secretKeyRef"]
    assert ref["name"] == secret["metadata"]["name"] and ref["key"] in secret["stringData"]
    assert "PLACEHOLDER" in MANIFEST.read_text(encoding="utf-8")

    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: volumes[m["name"]] for m in container["volumeMounts"]}
    artifact_volume = mounts[env["FFTNAS_ARTIFACT_DIR"]["value"]]
    assert artifact_volume["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    experiment_dir = str(Path(args.experiment).parent)
    assert "configMap" in mounts[experiment_dir]  # the experiment comes from the ConfigMap

    assert int(container["resources"]["limits"]["nvidia.com/gpu"]) >= 1
    assert job["spec"]["parallelism"] == job["spec"]["completions"] >= 1
    assert pod["restartPolicy"] == "Never" and job["spec"]["backoffLimit"] >= 1
    assert pod["terminationGracePeriodSeconds"] >= 30

    # `kubectl apply -l app.kubernetes.io/name=fftnas` (deploy/README.md) skips the placeholder
    selected = {
        kind
        for kind, d in docs.items()
        if d["metadata"].get("labels", {}).get("app.kubernetes.io/name") == "fftnas"
    }
    assert selected == {"PersistentVolumeClaim", "Job"}
    # the image's user (deploy/Dockerfile) is the one the pod runs as
    assert f"--uid {pod['securityContext']['runAsUser']} " in DOCKERFILE.read_text(encoding="utf-8")


def test_kubernetes_job_command_runs_here(tmp_path: Path) -> None:
    """The container's command and env, with the Secret, volumes and ConfigMap made local."""
    require_postgres()
    name = f"deploy-k8s-{uuid.uuid4().hex[:8]}"
    budget = 3
    job = manifests()["Job"]
    pod, container = job["spec"]["template"]["spec"], job_container(job)
    local: dict[str, Path] = {}  # mount path -> a directory here
    for mount in container["volumeMounts"]:
        local[mount["mountPath"]] = tmp_path / mount["name"]
        local[mount["mountPath"]].mkdir()
    (volume,) = [v for v in pod["volumes"] if "configMap" in v]
    experiment_dir = tmp_path / volume["name"]  # `kubectl create configmap --from-file=experiment.toml=...`
    write_tiny_experiment(experiment_dir / "experiment.toml", name=name, trials=budget)

    def here(value: str) -> str:
        for mount_path, directory in local.items():
            if value == mount_path or value.startswith(mount_path + "/"):
                return str(directory) + value[len(mount_path) :]
        return value

    env = base_env()
    for item in container["env"]:
        if "valueFrom" in item:
            assert item["valueFrom"]["secretKeyRef"]  # the Secret's url: the local server
            env[item["name"]] = POSTGRES_URL
        else:
            env[item["name"]] = here(item["value"])
    env["OMP_NUM_THREADS"] = "1"
    command = [str(VENV_BIN / container["command"][0]), *(here(a) for a in container["args"])]
    with deleted_afterwards(POSTGRES_URL, name):
        result = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=240)
        assert result.returncode == 0, result.stderr[-3000:]
        assert states(load(POSTGRES_URL, name)) == {"COMPLETE": budget}
        artifact_dir = Path(env["FFTNAS_ARTIFACT_DIR"])
        assert artifact_dir.parent == tmp_path and any(artifact_dir.iterdir())


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="no kubectl")
def test_kubectl_secret_from_the_storage_file(tmp_path: Path) -> None:
    """deploy/README.md's storage file, made into the Secret the Job reads, holds the bare URL."""
    password = "0f" * 24  # what `openssl rand -hex 24` gives
    home = tmp_path / "home"
    home.mkdir()
    recipe = (
        "(umask 077; printf 'postgresql://fftnas:%s@%s:5432/fftnas' \"$FFTNAS_DB_PASSWORD\" "
        '"$(hostname -f)" > ~/.fftnas-storage)'
    )
    assert recipe in (DEPLOY / "README.md").read_text(encoding="utf-8")
    env = base_env(HOME=str(home), FFTNAS_DB_PASSWORD=password)
    subprocess.run(["bash", "-c", recipe], env=env, check=True)
    file = home / ".fftnas-storage"
    assert file.stat().st_mode & 0o077 == 0
    env_of_job = {e["name"]: e for e in job_container(manifests()["Job"])["env"]}
    ref = env_of_job["FFTNAS_STORAGE"]["valueFrom"]["secretKeyRef"]
    created = subprocess.run(
        ["kubectl", "create", "secret", "generic", ref["name"], f"--from-file={ref['key']}={file}"]
        + ["--dry-run=client", "-o", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    url = base64.b64decode(json.loads(created.stdout)["data"][ref["key"]]).decode()
    assert re.fullmatch(rf"postgresql://fftnas:{password}@[^:/\s]+:5432/fftnas", url), url
    assert resolve_storage(url).kind == "server"


# ---- Dockerfile -------------------------------------------------------------------------------


def test_dockerfile_has_the_setup_packages_and_runs_fftnas() -> None:
    setup = (REPO / "scripts" / "setup.sh").read_text(encoding="utf-8")
    (audio,) = re.findall(r"^for package in ([^;]+); do", setup, flags=re.M)
    needed = set(audio.split())
    assert "libfluidsynth3" in needed  # the parse found the list

    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    instructions = [
        line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]
    installed: set[str] = set()
    for line in instructions:
        for command in re.split(r"&&|;", line):
            words = shlex.split(command)
            if "apt-get" in words and "install" in words:
                installed |= {w for w in words[words.index("install") + 1 :] if not w.startswith("-")}
    assert needed <= installed, needed - installed

    (entrypoint,) = [line for line in instructions if line.startswith("ENTRYPOINT")]
    assert json.loads(entrypoint.removeprefix("ENTRYPOINT")) == ["fftnas"]
    # every package pyproject installs is copied into the image before `pip install .`
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    packages = {p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]}
    copied = {line.split()[1] for line in instructions if line.startswith("COPY")}
    assert packages <= copied
    base = re.search(r"^FROM python:(\d+)\.(\d+)", text, flags=re.M)
    assert base and (int(base[1]), int(base[2])) >= (3, 10)


# ---- PostgreSQL -------------------------------------------------------------------------------


def scram_matches(verifier: str, password: str) -> bool:
    """Whether PostgreSQL's ``SCRAM-SHA-256$iterations:salt$StoredKey:ServerKey`` is of ``password``."""
    method, rest = verifier.split("$", 1)
    counts, keys = rest.split("$")
    iterations, salt = counts.split(":")
    stored_key = keys.split(":")[0]
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt), int(iterations))
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    return (
        method == "SCRAM-SHA-256"
        and base64.b64encode(hashlib.sha256(client_key).digest()).decode() == stored_key
    )


def test_postgres_setup_makes_a_database_a_study_runs_in(tmp_path: Path) -> None:
    """setup.sh (twice: it is idempotent) with an awkward password, then a 2-trial study there.

    The local server trusts 127.0.0.1, so connecting proves nothing about the password: the
    stored SCRAM verifier is checked against it instead.
    """
    require_postgres()
    if shutil.which("psql") is None:
        pytest.skip("no psql")
    suffix = uuid.uuid4().hex[:8]
    role = database = f"fftnas_test_{suffix}"
    admin = {
        "PGHOST": PG.hostname or "127.0.0.1",
        "PGPORT": str(PG.port or 5432),
        "PGUSER": PG.username or "postgres",
        "PGDATABASE": PG.path.lstrip("/") or "postgres",
        **({"PGPASSWORD": PG.password} if PG.password else {}),
    }

    def psql(sql: str, **extra: str) -> str:
        result = subprocess.run(
            ["psql", "--no-psqlrc", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql],
            env=base_env(**{**admin, **extra}),
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        return result.stdout.strip()

    def setup(password: str) -> subprocess.CompletedProcess:
        env = base_env(**admin, FFTNAS_DB_PASSWORD=password, FFTNAS_DB_USER=role, FFTNAS_DB_NAME=database)
        result = subprocess.run(["bash", str(PG_SETUP)], env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert password not in result.stdout + result.stderr and "***" in result.stdout
        return result

    try:
        setup(f"first 'try' \\ {suffix}")
        password = f"it's a \\pass word\" {suffix}"
        setup(password)  # again: the role exists, the password changes
        assert scram_matches(psql(f"SELECT rolpassword FROM pg_authid WHERE rolname = '{role}'"), password)
        owner, public = psql(
            f"SELECT pg_get_userbyid(datdba), has_database_privilege('public', datname, 'CONNECT') "
            f"FROM pg_database WHERE datname = '{database}'"
        ).split("|")
        assert owner == role and public == "f"  # only the owner (and superusers) may connect

        url = f"postgresql://{role}:{quote(password, safe='')}@{admin['PGHOST']}:{admin['PGPORT']}/{database}"
        experiment = write_tiny_experiment(tmp_path / "tiny.toml", name="tiny", trials=2)
        env = base_env(FFTNAS_STORAGE=url, FFTNAS_ARTIFACT_DIR=str(tmp_path / "artifacts"))
        run = subprocess.run(
            [str(VENV_BIN / "fftnas"), "run", str(experiment), "--devices", "cpu", "--no-progress"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert run.returncode == 0, run.stderr[-3000:]
        assert states(load(url, "tiny")) == {"COMPLETE": 2}
        assert quote(password, safe="") not in run.stdout + run.stderr and "***" in run.stdout
        owners = psql(
            "SELECT DISTINCT tableowner FROM pg_tables WHERE tablename = 'trials'", PGDATABASE=database
        )
        assert owners == role  # Optuna's tables were made by the new role, in its database
    finally:
        psql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        psql(f'DROP ROLE IF EXISTS "{role}"')
