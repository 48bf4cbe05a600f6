"""Counter-based random streams: one per network and mechanism.

Every random draw of a :class:`~pcnsim.model.PCNModel` is a uniform number that is a pure function of three
things: the network's **key** (a 64-bit integer), the **stream** (the mechanism that draws, one of
:data:`STREAMS`) and a **counter** (how many uniforms that network has already drawn from that stream). A
network's counters advance only by its own draws, so what one network draws never depends on what any
other network does: an intervention in one network leaves the random numbers of every other unchanged
(common random numbers network by network), and a network gives the same run alone or packed with others
as long as it keeps its key.

The generator is SplitMix64 (Steele, Lea and Flood 2014, "Fast splittable pseudorandom number
generators", OOPSLA; the output function is Stafford's "Mix13" variant of the MurmurHash3 finaliser, as in
``java.util.SplittableRandom`` and the reference ``splitmix64.c`` used to seed xoshiro generators). Its
``c``-th output from a seed ``b`` is ``mix64(b + (c + 1) * GAMMA)``, a function of the counter alone, which
is what makes it counter-based: draw ``c`` of a stream can be computed without the draws before it. Each
(network, stream) pair has its own seed ``b``, taken as the ``s``-th SplitMix64 output of the network key,
so the pairs start at unrelated points of SplitMix64's single cycle of 2**64. Two pairs can only repeat
each other's numbers if their starts fall within a run's length of each other on that cycle: for
10,000 pairs drawing 2**24 numbers each the chance of any such overlap is below 1 in 10,000. A uniform
is the top 53 bits of an output plus one half, times 2**-53: in (0, 1), never 0 or 1, so logarithms and
logistic inversions of it are finite.

Network keys come from the model's seed and the network's index (:func:`network_keys`, through NumPy's
``SeedSequence``), or are given explicitly, one per network (``PCNModel(network_keys=...)``): network
``g`` of a model given ``network_keys(seed, n)[[g]]`` (or a run packed from several) draws exactly what
network ``g`` of the model seeded ``seed`` draws.

Order of draws (what each counter counts), per network, in each week:

* ``start`` (at build only): one uniform per core staff member in population order, for the hire week;
  ``person`` then gives their personal traits (below);
* ``onsite``: one uniform per site record with a positive mean (records in the order of
  :class:`~pcnsim.mechanisms.presence.Sites`: practice, role, staff id) for its Poisson count, then one
  per encounter, record by record (counts whose mean is 30 or more take further uniforms after all
  others: :func:`pcnsim.mechanisms.encounters.poisson`); the burn-in weeks draw from it too;
* ``remote`` and ``mixing``: one uniform per person with a positive mean (staff-id order) for the count,
  then two per encounter, person by person;
* ``renew``: one uniform per person in post (staff-id order) to decide whether their personal traits
  are drawn anew, then three per person renewed, in the same order;
* ``exit``: one uniform per person in post and not on notice (staff-id order);
* ``recruit``: one uniform per open ARRS post (posts by role, in role order), one per ARRS hire for the
  first practice of their split, then one per open core post (practice, then GP before nurse);
* ``person``: three uniforms per new starter (ARRS hires, then core hires, in order of hire): the
  propensity to leave (standard logistic, by inversion) and the affiliation (standard normal, by the
  Box-Muller transform of the other two).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pcnsim._jit import njit
from pcnsim.errors import PCNSimInputError

__all__ = ["STREAMS", "Stream", "Streams", "check_keys", "logistic", "network_keys", "normal"]

#: The streams, one per mechanism that draws (the order fixes each stream's seed: append, never reorder).
STREAMS: tuple[str, ...] = ("start", "onsite", "remote", "mixing", "renew", "exit", "recruit", "person")

#: ``SeedSequence`` spawn-key prefix of network keys (so they differ from any other use of the seed).
KEY_NAMESPACE = 0x70636E73  # "pcns"

GAMMA = np.uint64(0x9E3779B97F4A7C15)  # SplitMix64's increment: 2**64 / golden ratio, odd
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_ONE = np.uint64(1)
_HALF = 0.5
_TWO_M53 = 2.0**-53
MAX_KEY = 2**64 - 1


@njit(inline="always")
def mix64(z):  # noqa: ANN001, ANN201
    """SplitMix64's output function (Stafford's Mix13) of a uint64."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(inline="always")
def output(seed, counter):  # noqa: ANN001, ANN201
    """The ``counter``-th (from 0) uint64 output of SplitMix64 seeded with ``seed`` (both uint64)."""
    return mix64(seed + (counter + _ONE) * GAMMA)


@njit(inline="always")
def uniform(seed, counter):  # noqa: ANN001, ANN201
    """The ``counter``-th uniform of the stream with seed ``seed``: in (0, 1), 53 bits."""
    return (np.float64(np.int64(output(seed, counter) >> _S11)) + _HALF) * _TWO_M53  # (int64: a faster convert)


@njit
def _fill(net, seed, counter):  # noqa: ANN001, ANN202
    # One uniform per element, element i from network net[i], in element order; each network's counter
    # advances by its own elements only.
    # The running counter stays in a register while consecutive elements share a network (the usual case:
    # staff ids and site records come network by network), instead of a load and store per element.
    out = np.empty(len(net))
    if len(net) == 0:
        return out
    g = net[0]
    b, c = seed[g], counter[g]
    for i in range(len(net)):
        h = net[i]
        if h != g:
            counter[g] = c
            g = h
            b, c = seed[g], counter[g]
        out[i] = uniform(b, c)
        c += _ONE
    counter[g] = c
    return out


@njit
def _fill_where(net, where, seed, counter):  # noqa: ANN001, ANN202
    # As _fill, for the elements where ``where`` holds (0.5 elsewhere, with no draw).
    out = np.full(len(net), _HALF)
    for i in range(len(net)):
        if where[i]:
            g = net[i]
            out[i] = uniform(seed[g], counter[g])
            counter[g] += _ONE
    return out


@njit
def _seeds(keys, n_streams):  # noqa: ANN001, ANN202
    out = np.empty((n_streams, len(keys)), np.uint64)
    for s in range(n_streams):
        for g in range(len(keys)):
            out[s, g] = output(keys[g], np.uint64(s))
    return out


def network_keys(seed: int, n_networks: int) -> np.ndarray:
    """The key of each of ``n_networks`` networks of a model seeded ``seed`` (uint64, one per network).

    Key ``g`` is the first 64-bit word of ``numpy.random.SeedSequence(seed, spawn_key=(KEY_NAMESPACE, g))``:
    a pure function of the seed and the index, the same in every process."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise PCNSimInputError(f"seed = {seed!r} is not allowed: expected a whole number from 0", field="seed")
    return np.array([np.random.SeedSequence(int(seed), spawn_key=(KEY_NAMESPACE, g)).generate_state(1, np.uint64)[0]
                     for g in range(int(n_networks))], dtype=np.uint64)


def check_keys(keys: Sequence[int] | np.ndarray, n_networks: int) -> np.ndarray:
    """``keys`` as a uint64 array of one key per network, or a :class:`PCNSimInputError` naming
    ``network_keys`` and what is allowed."""
    allowed = f"expected {n_networks} whole numbers from 0 to 2**64 - 1 (one key per network)"
    try:
        arr = np.asarray(keys)
        ok = arr.ndim == 1 and len(arr) == n_networks and (arr.dtype.kind in "iu" or (
            arr.dtype == object and all(isinstance(k, int | np.integer) and not isinstance(k, bool) for k in arr)))
        if ok and arr.dtype.kind != "u":
            ok = all(0 <= int(k) <= MAX_KEY for k in arr.tolist())
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok:
        shown = repr(keys) if len(repr(keys)) <= 80 else repr(keys)[:77] + "..."
        raise PCNSimInputError(f"network_keys = {shown} is not allowed: {allowed}", field="network_keys")
    return np.array([int(k) for k in np.asarray(keys).tolist()], dtype=np.uint64)


@dataclass(frozen=True, eq=False)
class Stream:
    """One mechanism's stream in every network: the seed of each network's stream and its counter.

    Compiled kernels that draw as they go take ``seed`` and ``counter`` and call ``uniform(seed[g], counter[g])``, advancing
    ``counter[g]`` by one per uniform of network ``g`` (in place)."""

    name: str
    seed: np.ndarray  #: uint64 per network
    counter: np.ndarray  #: uint64 per network: uniforms drawn so far (a view into the ``counter`` table of :class:`Streams`)

    def uniforms(self, net: np.ndarray, where: np.ndarray | None = None) -> np.ndarray:
        """One uniform in (0, 1) per element of ``net`` (the element's network), in element order; with
        ``where`` (a bool per element), only for the elements where it holds (the others are 0.5, and draw
        nothing): the same uniforms as ``uniforms(net[where])``, in their places."""
        net = np.asarray(net)
        if net.dtype not in (np.int32, np.int64):  # (staff arrays hold int32: used as they are)
            net = net.astype(np.int64)
        if where is None:
            return _fill(net, self.seed, self.counter)
        return _fill_where(net, np.asarray(where, np.bool_), self.seed, self.counter)

    def integers(self, net: np.ndarray, n: np.ndarray | int) -> np.ndarray:
        """One whole number from 0 to ``n - 1`` per element (``n`` per element, or one for all; at least 1),
        uniformly, from one uniform each: ``floor(u n)``."""
        n = np.maximum(np.asarray(n, dtype=np.int64), 1)
        return np.minimum((self.uniforms(net) * n).astype(np.int64), n - 1)


class Streams:
    """The random streams of a model: one :class:`Stream` per name in :data:`STREAMS`, each with one counter
    per network.

    Parameters
    ----------
    keys : array of uint64
        One key per network (:func:`network_keys`, or given explicitly).

    Attributes
    ----------
    keys : numpy.ndarray
        The network keys (uint64).
    seed, counter : numpy.ndarray
        Per stream and network (streams x networks, uint64): the stream's SplitMix64 seed (the stream's
        index-th output of the key) and the uniforms drawn so far.
    """

    def __init__(self, keys: np.ndarray) -> None:
        self.keys = np.ascontiguousarray(keys, dtype=np.uint64)
        self.seed = _seeds(self.keys, len(STREAMS))
        self.counter = np.zeros((len(STREAMS), len(self.keys)), dtype=np.uint64)
        self._by_name = {name: Stream(name, self.seed[s], self.counter[s]) for s, name in enumerate(STREAMS)}

    @classmethod
    def from_seed(cls, seed: int, n_networks: int) -> Streams:
        """The streams of ``n_networks`` networks of a model seeded ``seed`` (keys from :func:`network_keys`)."""
        return cls(network_keys(seed, n_networks))

    @property
    def n_networks(self) -> int:
        """Number of networks."""
        return len(self.keys)

    def __getitem__(self, name: str) -> Stream:
        """The stream called ``name`` (one of :data:`STREAMS`)."""
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"no stream {name!r}; streams: {', '.join(STREAMS)}") from None

    def __repr__(self) -> str:
        return f"Streams(n_networks={self.n_networks}, drawn={int(self.counter.sum())})"

    def __getstate__(self) -> dict[str, np.ndarray]:
        # (pickle copies views as arrays of their own: rebuild each Stream's view of the counters instead)
        return {"keys": self.keys, "counter": self.counter}

    def __setstate__(self, state: dict[str, np.ndarray]) -> None:
        self.__init__(state["keys"])
        self.counter[:] = state["counter"]


def logistic(u: np.ndarray) -> np.ndarray:
    """Standard logistic numbers from uniforms in (0, 1), by inversion: log(u / (1 - u))."""
    return np.log(u) - np.log1p(-u)


def normal(u1: np.ndarray, u2: np.ndarray) -> np.ndarray:
    """Standard normal numbers from pairs of uniforms in (0, 1) (the cosine half of Box-Muller)."""
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
