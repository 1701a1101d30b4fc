"""Which Config Sync root of its environment each model is synced from.

An environment's own root, `<env>/` (synced by the cluster's bootstrap RootSync), is the
*platform root*: Namespaces, shared objects, one RootSync per shard, and models while it has
room. When the models outgrow it they go to *shard roots* `<env>/_shard-NNN/`, each with its
own RootSync, under a budget of objects per root (Config Sync keeps one ResourceGroup
inventory per root; configsync-sharding.md 1).

Placement is sticky: a model stays in the root the last render put it in (shard_record.py
reads that back), whatever else changes. Only new models are placed, first fit, in the
order of their names, into a root still under the fill target (80% of the budget), else a
new shard. A root that grows past the budget anyway (its models grew) is never rebalanced
silently: the render stops with a move plan, and moving takes two commits (the model is
first left in place unmanaged, then added to its new root), because Config Sync deletes and
recreates an object moved between roots in one commit.

A fleet that fits one root renders exactly as before sharding existed: no shard, no record.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

PLATFORM_ROOT = "."  # the environment's own root, in the placement record
SHARD_PREFIX = "_shard-"  # no namespace can start with "_": no clash with namespace folders
TENANT_PREFIX = "_ns-"  # a namespace's own root (tenancy: namespace), synced by a RepoSync
TENANCY_NAMESPACE = "namespace"  # Platform environments[].tenancy: a RepoSync per namespace

# What `moves` asks of a render: nothing, start the planned moves, or finish pending ones.
NO_MOVES, START_MOVES, COMPLETE_MOVES = "", "start", "complete"


def shard_name(number: int) -> str:
    return f"{SHARD_PREFIX}{number:03d}"


def shard_number(root: str) -> int | None:
    """The number of a shard root's name; None for anything else."""
    digits = root.removeprefix(SHARD_PREFIX)
    return int(digits) if root.startswith(SHARD_PREFIX) and digits.isdigit() else None


def tenant_root(namespace: str) -> str:
    return f"{TENANT_PREFIX}{namespace}"


def is_root_name(root: str) -> bool:
    return root == PLATFORM_ROOT or shard_number(root) is not None or (
        root.startswith(TENANT_PREFIX) and len(root) > len(TENANT_PREFIX))


def folder(env: str, root: str) -> str:
    """The root's folder in the tree."""
    return env if root == PLATFORM_ROOT else f"{env}/{root}"


def split_path(path: str) -> tuple[str, str]:
    """(folder of the root holding it, path inside that root) of a path of the tree:
    `prod/_shard-001/llm/m/deployment.yaml` -> (`prod/_shard-001`, `llm/m/deployment.yaml`)."""
    env, _, rest = path.partition("/")
    if rest.startswith((SHARD_PREFIX, TENANT_PREFIX)):
        shard, _, inner = rest.partition("/")
        return f"{env}/{shard}", inner
    return env, rest


def relocate(paths: tuple[str, ...], env: str, root: str) -> tuple[str, ...]:
    """Paths of environment `env`'s platform root, moved into its `root`."""
    if root == PLATFORM_ROOT:
        return paths
    cut, prefix = len(env) + 1, f"{env}/{root}/"
    return tuple([prefix + path[cut:] for path in paths])


@dataclass(frozen=True)
class Budget:
    limit: int  # objects a root may hold
    fill: int  # new models are placed only while a root stays at or under this


def budget_of(configured: int | None, default: int, ratio: float) -> Budget:
    limit = configured or default
    return Budget(limit, int(limit * ratio))


@dataclass(frozen=True)
class Previous:
    """What the last render of an environment left (shard_record.read)."""

    rendered: bool = False  # the environment's root existed
    models: dict[str, str] = field(default_factory=dict)  # "ns/name" -> root
    moving: dict[str, str] = field(default_factory=dict)  # "ns/name" -> root it moves to
    shards: tuple[str, ...] = ()


@dataclass(frozen=True)
class Move:
    model: str
    source: str
    target: str


@dataclass
class Layout:
    """The roots of one environment and where each model goes."""

    env: str
    counts: dict[str, int]  # root -> objects, the platform root first, then shards in order
    models: dict[str, str]  # "ns/name" -> root
    moving: dict[str, str]  # "ns/name" -> target root: left in place, unmanaged (phase 1)
    plan: list[Move] = field(default_factory=list)  # moves needed but not asked for
    too_large: list[str] = field(default_factory=list)  # models (namespaces) larger than a root
    over: list[str] = field(default_factory=list)  # roots over the budget even so
    overflow: dict[str, int] = field(default_factory=dict)  # root -> objects before the plan
    stranded: list[str] = field(default_factory=list)  # models in a root this layout lacks

    @property
    def shards(self) -> list[str]:
        return [root for root in self.counts if shard_number(root) is not None]

    @property
    def tenants(self) -> list[str]:
        return [root for root in self.counts if root.startswith(TENANT_PREFIX)]


def _sorted_roots(roots: Iterable[str]) -> list[str]:
    return sorted({r for r in roots if shard_number(r) is not None},
                  key=lambda r: shard_number(r) or 0)


class _Roots:
    """Object counts per root while placing; opening a shard adds its marker and its
    RootSync (in the platform root)."""

    def __init__(self, overhead: int, shards: list[str]) -> None:
        self.counts = {PLATFORM_ROOT: overhead}
        for shard in shards:
            self.open_shard(shard)

    def open_shard(self, shard: str | None = None) -> str:
        if shard is None:
            shard = shard_name(max((shard_number(r) or 0 for r in self.counts), default=0) + 1)
        self.counts[shard] = 1  # its marker
        self.counts[PLATFORM_ROOT] += 1  # its RootSync
        return shard

    def fitting(self, size: int, fill: int, avoid: str = "") -> str:
        """The first root with room for `size` objects under `fill`, else a new shard."""
        for root, count in self.counts.items():
            if root != avoid and count + size <= fill:
                return root
        return self.open_shard()


def place(env: str, sizes: dict[str, int], overhead: int, previous: Previous, budget: Budget,
          moves: str = NO_MOVES) -> Layout:
    """Place the environment's models (`sizes`: "ns/name" -> objects) into roots.
    `overhead`: the platform root's own objects besides shard RootSyncs (Namespaces, shared
    objects). Models the previous render placed stay put; pending moves stay pending
    unless `moves` completes them; a root over the budget gets a plan, started when
    `moves` says so."""
    known = list(previous.models.values()) + list(previous.moving.values())
    roots = _Roots(overhead, _sorted_roots([*previous.shards, *known]))
    placed: dict[str, str] = {}
    moving: dict[str, str] = {}
    too_large = sorted(key for key, size in sizes.items() if size + 1 > budget.limit)
    stranded = sorted(key for key in sizes if previous.models.get(key, PLATFORM_ROOT)
                      not in roots.counts)  # in a namespace's root: tenancy switched back
    for key in sorted(sizes):
        root = previous.models.get(key)
        if root is None or key in too_large or key in stranded:
            continue
        target = previous.moving.get(key)
        if target is not None and moves == COMPLETE_MOVES:
            root = target
        elif target is not None:
            moving[key] = target
        placed[key] = root
        roots.counts[target or root] += sizes[key]  # a moving model counts where it goes
    for key in sorted(sizes):
        if key not in placed and key not in too_large and key not in stranded:
            placed[key] = root = roots.fitting(sizes[key], budget.fill)
            roots.counts[root] += sizes[key]
    overflow = {root: count for root, count in roots.counts.items() if count > budget.limit}
    plan = _plan(roots, placed, moving, sizes, budget)
    if moves == START_MOVES:
        moving.update((move.model, move.target) for move in plan)
        plan = []
    over = [root for root, count in roots.counts.items() if count > budget.limit]
    return Layout(env, roots.counts, placed, moving, plan, too_large, over, overflow, stranded)


def _plan(roots: _Roots, placed: dict[str, str], moving: dict[str, str],
          sizes: dict[str, int], budget: Budget) -> list[Move]:
    """The moves, last names first, that bring every root back under the budget; each
    model goes where a new one would. Counts are updated as if the moves were done."""
    plan: list[Move] = []
    for root in [r for r, count in roots.counts.items() if count > budget.limit]:
        candidates = sorted((k for k, r in placed.items() if r == root and k not in moving),
                            reverse=True)
        while roots.counts[root] > budget.limit and candidates:
            key = candidates.pop(0)
            target = roots.fitting(sizes[key], budget.fill, avoid=root)
            roots.counts[target] += sizes[key]
            roots.counts[root] -= sizes[key]
            plan.append(Move(key, root, target))
    return plan


def place_by_namespace(env: str, sizes: dict[str, int], overhead: int, previous: Previous,
                       budget: Budget, moves: str = NO_MOVES) -> Layout:
    """tenancy: namespace. Each namespace is a root of its own, stable by construction (a
    model's namespace is part of its name); `overhead` counts the platform root's objects
    (Namespaces, shared objects, a RepoSync and a RoleBinding per namespace, the
    ClusterRole). A model the previous render put elsewhere (the environment switched to
    this tenancy) moves in two commits, as in place(); a root it leaves is kept until then."""
    counts = {PLATFORM_ROOT: overhead}
    for namespace in sorted({key.split("/", 1)[0] for key in sizes}):
        counts[tenant_root(namespace)] = 0
    placed: dict[str, str] = {}
    moving: dict[str, str] = {}
    plan: list[Move] = []
    for key in sorted(sizes):
        target = tenant_root(key.split("/", 1)[0])
        counts[target] += sizes[key]
        root = previous.models.get(key, target)
        if root == target or (moves == COMPLETE_MOVES and previous.moving.get(key) == target):
            placed[key] = target
            continue
        placed[key] = root
        counts.setdefault(root, 1 if shard_number(root) is not None else 0)  # its marker
        if moves == START_MOVES or previous.moving.get(key) == target:
            moving[key] = target
        else:
            plan.append(Move(key, root, target))
    too_large = sorted(root.removeprefix(TENANT_PREFIX) for root, count in counts.items()
                       if root.startswith(TENANT_PREFIX) and count > budget.limit)
    over = [PLATFORM_ROOT] if counts[PLATFORM_ROOT] > budget.limit else []
    return Layout(env, counts, placed, moving, plan, too_large, over)
