"""``lantern agreement|keys|pseudonymise|link|objections|cohort|retention``: safe data joining."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import typer
from rich.console import Console
from typer.core import TyperGroup

from lantern.cli.progress import progress_bar
from lantern.errors import ConfigError, InputError

console = Console()
agreement_app = typer.Typer(help="Data-sharing agreements.", no_args_is_help=True)
keys_app = typer.Typer(
    help="Per-project, per-release secrets (kept apart from data).", no_args_is_help=True
)
objections_app = typer.Typer(help="The objection register (tokens only).", no_args_is_help=True)
cohort_app = typer.Typer(
    help="Linked cohorts counted by area, through the output gate.", no_args_is_help=True
)

KEYS = typer.Option(
    ..., "--keys", help="Key folder (partner: token secret + storage key; hub: storage key)."
)
PROJECT = typer.Option(..., "--project", help="Project id, e.g. essex-covid.")
BATCH = typer.Option(
    None,
    "--batch",
    help="Linkage batch id: one set of keys and the files made with them, e.g. 2026-06.",
)
OLD_RELEASE = typer.Option(None, "--release", hidden=True, help="Deprecated: use --batch.")
AGREEMENT = typer.Option(..., "--agreement", help="Data-sharing agreement (YAML or TOML).")
PURPOSE = typer.Option(..., "--purpose", help="Purpose code named in the agreement.")
AUDIT = typer.Option(
    Path("audit/linkage.jsonl"),
    "--audit",
    help="Audit log to append to (keyed with the project's audit key).",
)


def _batch(batch: str | None, old_release: str | None) -> str:
    """The batch id from ``--batch`` (or the deprecated ``--release``)."""
    if old_release is not None:
        Console(stderr=True).print(
            "warning: --release is deprecated here; use --batch (a linkage batch, not a "
            "disclosure release)",
            highlight=False,
        )
        if batch is not None and batch != old_release:
            raise InputError("--batch and the deprecated --release name different batches")
        batch = batch or old_release
    if not batch:
        raise InputError("give --batch: the linkage batch id, e.g. 2026-06")
    return batch


@contextmanager
def _working(label: str) -> Iterator[None]:
    with progress_bar(console, label):
        yield


@agreement_app.command("check")
def agreement_check(file: Path = typer.Argument(..., help="Agreement file to validate.")) -> None:
    """Validate an agreement and report every problem at once."""
    from lantern.governance import check_agreement, load_agreement

    problems = check_agreement(file)
    if problems:
        raise ConfigError(f"agreement {file} is invalid", problems)
    a = load_agreement(file)
    state = "active" if a.is_active() else "NOT active today"
    console.print(
        f"[green]ok[/]: {a.id} — {len(a.parties)} parties, {len(a.purposes)} purposes, "
        f"{len(a.fields)} fields, outputs {', '.join(a.permitted_outputs)}; retention ends "
        f"{a.retention_end.isoformat()} ({state})"
    )


@keys_app.command("create")
def keys_create(
    keys: Path = KEYS,
    project: str = PROJECT,
    batch: str | None = BATCH,
    old_release: str | None = OLD_RELEASE,
    agreement: Path | None = typer.Option(
        None, "--agreement", help="Bind the batch to this agreement now (else on first use)."
    ),
    retain_until: str | None = typer.Option(
        None, "--retain-until", help="Shred this batch after this date (YYYY-MM-DD)."
    ),
) -> None:
    """Create the random secrets of a new batch (partners' key file, wrapped by the project KEK)."""
    from datetime import date

    from lantern.linkage.keystore import KeyStore

    release = _batch(batch, old_release)
    until = None
    if retain_until:
        try:
            until = date.fromisoformat(retain_until)
        except ValueError:
            raise InputError(
                f"--retain-until {retain_until!r} is not a date (YYYY-MM-DD)"
            ) from None
    agreement_id = None
    if agreement is not None:
        from lantern.governance import load_agreement

        a = load_agreement(agreement)
        agreement_id, until = a.id, min(until or a.retention_end, a.retention_end)
    KeyStore(keys).create(project, release, agreement=agreement_id, retain_until=until)
    console.print(f"created keys for {project}/{release} in {keys} (share only with partners)")


@keys_app.command("export-hub")
def keys_export_hub(
    keys: Path = KEYS,
    hub_keys: Path = typer.Option(..., "--hub-keys", help="The hub's key folder."),
    project: str = PROJECT,
    batch: str | None = BATCH,
    old_release: str | None = OLD_RELEASE,
) -> None:
    """Give the linkage hub the storage key only (it can decrypt files, never make tokens)."""
    release = _batch(batch, old_release)
    from lantern.linkage.keystore import KeyStore

    path = KeyStore(keys).export_for_hub(project, release, hub_keys)
    console.print(f"wrote hub key file {path} (no token secret)")


@objections_app.command("add")
def objections_add(
    register: Path = typer.Argument(
        ...,
        help="The register's token list (CSV, shareable); the objectors themselves are kept "
        "encrypted beside it in REGISTER.objectors.lnt, which never leaves the holder.",
    ),
    source: Path = typer.Option(
        ...,
        "--from",
        help="CSV of objectors: nhs_number, given_name, family_name, date_of_birth, postcode "
        "(aliases such as forename/surname/dob, or the agreement's own field names).",
    ),
    keys: Path = KEYS,
    project: str = PROJECT,
    agreement: Path | None = typer.Option(
        None, "--agreement", help="Accept the agreement's own field names as columns."
    ),
    skip_unusable: bool = typer.Option(
        False, "--skip-unusable", help="Add the usable rows even if some cannot be used."
    ),
    batch: str | None = typer.Option(None, "--batch", hidden=True),
    old_release: str | None = OLD_RELEASE,
) -> None:
    """Add objectors to the register (encrypted under its own key) and re-tokenise every batch."""
    from lantern.governance import load_agreement
    from lantern.governance.objections import (
        ROUTES,
        ObjectionRegister,
        read_objector_file,
        resolve_columns,
    )
    from lantern.linkage.keystore import KeyStore

    frame = read_objector_file(source)
    mapping = resolve_columns(
        list(frame.columns), load_agreement(agreement) if agreement else None, file=str(source)
    )
    reg = ObjectionRegister(register, KeyStore(keys), project)
    summary = reg.add_frame(frame, mapping, source=str(source), skip_unusable=skip_unusable)
    routes = "; ".join(f"{ROUTES[k]}: {n}" for k, n in summary.by_route.items())
    console.print(
        f"[green]ok[/]: added {summary.objectors} objector(s) from {source.name} "
        f"(could be tokenised by {routes}); the register holds {summary.register_total}"
    )
    if summary.unusable_rows:
        console.print(
            f"[yellow]not added[/]: {len(summary.unusable_rows)} row(s) with no usable "
            f"identifier combination: rows {', '.join(map(str, summary.unusable_rows))}"
        )
    console.print(
        f"token list {register} now covers batch(es): {', '.join(summary.batches) or 'none yet'}"
    )


@objections_app.command("tokens")
def objections_tokens(
    register: Path = typer.Argument(..., help="The register's token list (CSV)."),
    keys: Path = KEYS,
    project: str = PROJECT,
) -> None:
    """Re-tokenise every objector for every batch whose keys this key store holds."""
    from lantern.governance.objections import ObjectionRegister
    from lantern.linkage.keystore import KeyStore

    reg = ObjectionRegister(register, KeyStore(keys), project)
    if not reg.exists():
        raise InputError("no encrypted register beside this token list", file=reg.path)
    batches = reg.write_tokens_for_store()
    console.print(
        f"[green]ok[/]: {len(reg.read())} objector(s) tokenised for batch(es) "
        f"{', '.join(batches) or 'none'} into {register}"
    )


@objections_app.command("count")
def objections_count(
    register: Path = typer.Argument(...),
    batch: str | None = BATCH,
    old_release: str | None = OLD_RELEASE,
    keys: Path | None = typer.Option(
        None, "--keys", help="The register holder's key store: also count objectors by route."
    ),
    project: str | None = typer.Option(None, "--project", help="Project id (with --keys)."),
) -> None:
    """How many tokens of each key the token list holds for a batch (and objectors by route)."""
    from lantern.linkage.objections import load_register

    release = _batch(batch, old_release)
    for key, values in load_register(register, release).items():
        console.print(f"{key}: {len(values)}")
    if keys is not None and project:
        from lantern.governance.objections import ROUTES, ObjectionRegister
        from lantern.linkage.keystore import KeyStore

        for route, n in ObjectionRegister(register, KeyStore(keys), project).route_counts().items():
            console.print(f"objectors with {ROUTES[route]}: {n}")


def pseudonymise_command(
    extract: Path = typer.Argument(..., help="The partner's extract (CSV or Parquet)."),
    agreement: Path = AGREEMENT,
    partner: str = typer.Option(..., "--partner", help="This partner's id in the agreement."),
    purpose: str = PURPOSE,
    keys: Path = KEYS,
    project: str = PROJECT,
    batch: str | None = BATCH,
    old_release: str | None = OLD_RELEASE,
    out: Path = typer.Option(..., "--out", help="Release folder to send to the hub."),
    keymap: Path = typer.Option(..., "--keymap", help="Private key map (stays with the partner)."),
    id_column: str = typer.Option(
        "record_id", "--id-column", help="The partner's own record id column."
    ),
    postcodes: Path | None = typer.Option(
        None, "--postcodes", help="ONSPD/NSPL-format postcode lookup for the home LSOA."
    ),
    vintage: int = typer.Option(2021, "--vintage", help="LSOA vintage to derive (2011 or 2021)."),
    objections: Path | None = typer.Option(None, "--objections", help="Objection register."),
    cleaned_list: Path | None = typer.Option(
        None, "--cleaned-list", help="NHS opt-out cleaned list."
    ),
    audit: Path = AUDIT,
) -> None:
    """Partner side: tokens + attributes for the hub, key map for yourself; no clear identifier leaves."""
    release = _batch(batch, old_release)
    from lantern.governance import load_agreement
    from lantern.linkage.keystore import KeyStore
    from lantern.linkage.objections import load_cleaned_list, load_objections
    from lantern.linkage.pseudonymise import pseudonymise

    lsoa_for = None
    if postcodes is not None:
        from lantern.geography.postcodes import PostcodeLookup

        lookup = PostcodeLookup.from_file(postcodes)
        lsoa_for = lambda pc: lookup.lsoa_for(pc, vintage)  # noqa: E731
    k = KeyStore(keys).load(project, release)
    with _working(f"pseudonymising {extract.name}"):
        stats = pseudonymise(
            agreement=load_agreement(agreement), partner=partner, purpose=purpose, extract=extract,
            keys=k, out_dir=out, keymap_path=keymap, audit_log=audit, id_column=id_column,
            register=load_objections(objections, k) if objections else None,
            cleaned_list=load_cleaned_list(cleaned_list) if cleaned_list else None, lsoa_for=lsoa_for,
            lsoa_vintage=vintage,
        )  # fmt: skip
    console.print(
        f"[green]ok[/]: {stats.rows_in} rows in, {stats.rows_out} out; removed "
        f"{stats.removed_objection_register} objector(s), {stats.removed_national_opt_out} opted out "
        f"(national data opt-out), {stats.removed_no_nhs_number} with no NHS number to check; "
        f"home LSOA found for {stats.lsoa_found}; unusable values by column: {stats.unusable_values}"
    )


def link_command(
    release_dir: Path = typer.Argument(
        ..., help="Batch folder: the partners' token files and manifests."
    ),
    agreement: Path = AGREEMENT,
    purpose: str = PURPOSE,
    keys: Path = KEYS,
    project: str = PROJECT,
    batch: str | None = BATCH,
    old_release: str | None = OLD_RELEASE,
    out: Path = typer.Option(..., "--out", help="Hub output folder."),
    objections: Path | None = typer.Option(None, "--objections", help="Objection register."),
    backend: str = typer.Option("duckdb", "--backend", help="duckdb or spark."),
    model: Path | None = typer.Option(
        None, "--model", help="A saved settings.json to reuse (no training)."
    ),
    link_type: str | None = typer.Option(
        None, "--link-type", help="link_only, link_and_dedupe or dedupe_only."
    ),
    threshold: float = typer.Option(
        0.95, "--threshold", help="Match probability to accept a link."
    ),
    block: list[str] = typer.Option(
        [], "--block", help="Extra blocking rule: comma-separated token columns."
    ),
    audit: Path = AUDIT,
) -> None:
    """Hub side: link token files with Splink, cluster to persons, write a quality report."""
    release = _batch(batch, old_release)
    from lantern.governance import load_agreement
    from lantern.linkage.keystore import KeyStore
    from lantern.linkage.link import Backend, link
    from lantern.linkage.objections import load_register

    with _working(f"linking on {backend}"):
        result = link(
            agreement=load_agreement(agreement), purpose=purpose, release_dir=release_dir,
            keys=KeyStore(keys).load(project, release), out_dir=out, audit_log=audit,
            register=load_register(objections, release) if objections else None,
            backend=cast(Backend, backend),
            link_type=link_type, model=model, threshold=threshold,
            extra_blocking=[tuple(b.split(",")) for b in block],
        )  # fmt: skip
    q = result.quality
    p, r = q["estimated_precision_interval"] or {}, q["estimated_recall"]
    console.print(
        f"[green]ok[/]: {q['links_accepted']} links ({q['links_deterministic']} deterministic), "
        f"{q['persons']} persons; estimated precision {p.get('estimate')} "
        f"({p.get('low')}–{p.get('high')}), recall {r['estimate']} ({r['low']}–{r['high']}); "
        f"report {out / 'quality.json'}"
    )


def review_command(
    link_dir: Path = typer.Argument(..., help="Output folder of `lantern link`."),
    keys: Path = KEYS,
    project: str = PROJECT,
    batch: str | None = BATCH,
    old_release: str | None = OLD_RELEASE,
    out: Path | None = typer.Option(
        None, "--out", help="Write a sample of pairs to label (CSV: ids, weights, agreement)."
    ),
    labels: Path | None = typer.Option(
        None, "--labels", help="A labelled sample: report precision and recall from it."
    ),
    size: int = typer.Option(200, "--size", min=10, help="Pairs in the sample."),
    seed: int = typer.Option(42, "--seed", help="Seed of the stratified sample."),
) -> None:
    """Clerical review: export pairs to label, or estimate precision and recall from labels."""
    release = _batch(batch, old_release)
    from lantern.linkage import review
    from lantern.linkage.keystore import KeyStore

    if (out is None) == (labels is None):
        raise InputError("give --out to export a sample, or --labels to report on one")
    k = KeyStore(keys).load(project, release)
    if out is not None:
        frame = review.export_sample(
            link_dir, storage_key=k.storage_key, release=release, sample=out, size=size, seed=seed
        )
        console.print(
            f"[green]ok[/]: {len(frame)} pairs in {frame['stratum'].nunique()} match-weight bands "
            f"written to {out}; fill in is_match (1 same person, 0 not), then run with --labels"
        )
        return
    assert labels is not None
    result = review.report(link_dir, storage_key=k.storage_key, release=release, labels=labels)
    p, r = result["precision"], result["recall"]
    console.print(
        f"[green]ok[/]: {result['labelled_pairs']} labels; precision {p['estimate']} "
        f"({p['low']}–{p['high']}), recall {r['estimate']} ({r['low']}–{r['high']}); "
        f"report {link_dir / 'review.json'}"
    )


class _LinkGroup(TyperGroup):
    """``lantern link RELEASE_DIR ...`` runs the linkage; ``lantern link review`` reviews it."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


link_app = typer.Typer(
    cls=_LinkGroup,
    help="Link a batch folder (`lantern link BATCH_DIR ...`, the same as "
    "`lantern link run`), or review a sample of its pairs (`lantern link review`).",
    no_args_is_help=True,
)


@cohort_app.command("count")
def cohort_count(
    cohort: str = typer.Argument(..., help="Cohort name from the agreement."),
    agreement: Path = AGREEMENT,
    purpose: str = PURPOSE,
    batch_dir: Path | None = typer.Option(
        None, "--batch-dir", help="Batch folder: the partners' attribute files and manifests."
    ),
    old_release_dir: Path | None = typer.Option(
        None, "--release-dir", hidden=True, help="Deprecated: use --batch-dir."
    ),
    link_dir: Path = typer.Option(..., "--link-dir", help="Output folder of `lantern link`."),
    keys: Path = KEYS,
    project: str = PROJECT,
    batch: str | None = BATCH,
    old_release: str | None = OLD_RELEASE,
    levels: str = typer.Option(
        "lsoa,msoa,ward,district", "--levels", help="Comma-separated output levels."
    ),
    out: Path | None = typer.Option(None, "--out", help="CSV of published counts."),
    warehouse: Path | None = typer.Option(
        None, "--warehouse", help="Warehouse to add the indicator to."
    ),
    release_out: Path | None = typer.Option(
        None,
        "--release-out",
        help="Release folder: tables, disclosure-policy.json and the checker's disclosure record.",
    ),
    geography: Path | None = typer.Option(
        None, "--geography", help="Folder with the 2021 lookups (default: bundled Essex)."
    ),
    audit: Path = AUDIT,
) -> None:
    """Count a linked cohort by LSOA, MSOA, ward and district through the disclosure gate."""
    release = _batch(batch, old_release)
    from lantern.geography.hierarchy import load_hierarchy
    from lantern.governance import load_agreement
    from lantern.linkage.cohort import aggregate_cohort
    from lantern.linkage.keystore import KeyStore
    from lantern.paths import BUNDLED_ESSEX

    if old_release_dir is not None:
        Console(stderr=True).print("warning: --release-dir is deprecated; use --batch-dir")
    release_dir = batch_dir or old_release_dir
    if release_dir is None:
        raise InputError("give --batch-dir: the batch folder of partners' files")

    chain = load_hierarchy(geography or BUNDLED_ESSEX, 2021).chain
    k = KeyStore(keys).load(project, release)
    with _working(f"counting cohort {cohort}"):
        result = aggregate_cohort(
            agreement=load_agreement(agreement), purpose=purpose, cohort_name=cohort,
            release_dir=release_dir, link_dir=link_dir, storage_key=k.storage_key, release=release,
            chain=chain, levels=[lv.strip() for lv in levels.split(",") if lv.strip()],
            audit_log=audit, out_csv=out, warehouse=warehouse, release_out=release_out,
            audit_key=k.audit_key,
        )  # fmt: skip
    for level, frame in result.levels.items():
        shown = frame["value"].notna().sum()
        console.print(
            f"{level}: {len(frame)} areas, {shown} published, {len(frame) - shown} withheld"
        )
    if result.outside_area:
        console.print(
            f"{result.outside_area} cohort member(s) live outside the area and are not counted"
        )


def retention_command(
    agreement: Path = AGREEMENT,
    keys: list[Path] = typer.Option(
        ...,
        "--keys",
        help="Every key store that holds the project's batch keys: partner, hub, portal "
        "(repeat --keys).",
    ),
    project: str = PROJECT,
    batch: str | None = typer.Option(
        None, "--batch", help="Only this batch (default: every expired batch of the agreement)."
    ),
    data: list[Path] = typer.Option(
        [],
        "--data",
        help="Limit the file sweep to these folders (each inside a declared data root; default: "
        "every declared data root).",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Report what would be deleted."),
    only_given: bool = typer.Option(
        False,
        "--only-given",
        help="Shred only in the --keys stores (default: also every key store on this machine "
        "that holds the project's batches).",
    ),
    audit: Path = AUDIT,
) -> None:
    """Crypto-shred expired batches: destroy their keys in every key store given, and delete their
    files inside the project's declared data roots."""
    from lantern.governance import load_agreement
    from lantern.governance.retention import apply_retention
    from lantern.linkage.keystore import KeyStore

    for folder in keys:
        if not folder.is_dir():
            raise InputError("key store folder not found", file=folder)
    stores = [KeyStore(k) for k in keys]
    if not only_given:
        from lantern.keys.local import known_stores

        seen = {k.resolve() for k in keys}
        for root in known_stores():
            other = KeyStore(root)
            if root.resolve() not in seen and any(p == project for p, _ in other.releases()):
                stores.append(other)
                seen.add(root.resolve())
    result = apply_retention(
        agreement=load_agreement(agreement), project=project, keystores=stores, batch=batch,
        data_paths=data, audit_log=audit, dry_run=dry_run,
    )  # fmt: skip
    if result.unbound:
        console.print(
            f"batch(es) never used under an agreement, not touched: {', '.join(result.unbound)}"
        )
    if not result.expired:
        kept = f" (batches kept: {', '.join(result.kept)})" if result.kept else ""
        console.print(f"nothing has expired; agreement ends in {result.days_left} day(s){kept}")
        return
    verb = "would delete" if dry_run else "deleted"
    shred = (
        "would be destroyed" if dry_run else f"destroyed in {result.stores_shredded} key store(s)"
    )
    console.print(
        f"{verb} {result.files_deleted} file(s); keys of batch(es) "
        f"{', '.join(result.keys_destroyed)} {shred}; kept: {', '.join(result.kept) or 'none'}"
    )
    console.print("key stores: " + ", ".join(str(s.root) for s in stores))


@keys_app.command("roots")
def keys_roots(
    keys: Path = KEYS,
    project: str = PROJECT,
    add: list[Path] = typer.Option([], "--add", help="A folder that holds this project's data."),
) -> None:
    """Declare (and list) the folders where this party keeps the project's data; retention
    deletes files only inside them."""
    from lantern.linkage.keystore import KeyStore

    store = KeyStore(keys)
    roots = store.declare_data_roots(project, list(add)) if add else store.data_roots(project)
    for root in roots:
        console.print(str(root))
    if not roots:
        console.print("no data roots declared")


def register(app: typer.Typer) -> None:
    app.add_typer(agreement_app, name="agreement")
    app.add_typer(keys_app, name="keys")
    app.add_typer(objections_app, name="objections")
    app.add_typer(cohort_app, name="cohort")
    app.command("pseudonymise")(pseudonymise_command)
    link_app.command("run")(link_command)
    link_app.command("review")(review_command)
    app.add_typer(link_app, name="link")
    app.command("retention")(retention_command)
    from lantern.cli.show import show_command

    app.command("show")(show_command)
