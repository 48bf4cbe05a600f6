"""The compiled contact kernels (pcnsim/mechanisms/ties.py, presence.py): exact numbers on known tables, who can
meet whom, homophily, determinism given the stream, and the encounter rate against its Poisson law."""

import numpy as np
import pytest

from pcnsim.mechanisms import presence as pres
from pcnsim.mechanisms import ties as ties_
from pcnsim.state import K_SAME, K_TIES
from pcnsim.streams import Streams

GAIN = 0.15


def _stream(seed: int, n_networks: int = 2):
    """The contact stream of a model of ``n_networks`` networks seeded ``seed``."""
    return Streams.from_seed(seed, n_networks)["onsite"]


def _tables(rows: int, k: int = K_TIES) -> tuple[np.ndarray, np.ndarray]:
    """Empty slot tables with a sentinel row, as in StaffArrays."""
    return np.full((rows + 1, k), -1, dtype=np.int32), np.zeros((rows + 1, k), dtype=np.float32)


def _f32(x: float) -> np.float32:
    return np.float32(x)


# ---------------------------------------------------------------------------------------------- tie updates
# Slot layout: the first K_SAME slots of a row hold ties to one's own profession, the rest other professions.
SAME = np.zeros(64, dtype=np.int16)  # everyone of one profession: ties in slots 0..K_SAME-1
OTHER = np.arange(64, dtype=np.int16)  # everyone of a profession of their own: slots K_SAME..K_TIES-1


def test_an_encounter_moves_both_ends_towards_one():
    tj, tw = _tables(3)
    tj[0, 3], tw[0, 3] = 1, 0.5  # an existing tie 0-1 (slot 3 for 0, slot 0 for 1)
    tj[1, 0], tw[1, 0] = 0, 0.5
    ties_.reinforce(tj, tw, np.array([0]), np.array([1]), GAIN, SAME)
    expected = _f32(0.5 + GAIN * (1 - 0.5))  # 0.575
    assert tw[0, 3] == expected and tw[1, 0] == expected
    assert tj[0, 3] == 1 and tj[1, 0] == 0
    assert (tw[0, [0, 1, 2, *range(4, K_TIES)]] == 0).all()  # no other slot touched


def test_a_new_tie_takes_the_first_empty_slot_of_its_kind():
    tj, tw = _tables(3)
    tj[0, :2], tw[0, :2] = [5, 6], [0.4, 0.3]  # (ids 5, 6 need no rows here: only row 0 and 2 are read)
    ties_.reinforce(tj, tw, np.array([0]), np.array([2]), GAIN, SAME)
    assert tj[0, 2] == 2 and tw[0, 2] == _f32(GAIN)
    assert tj[2, 0] == 0 and tw[2, 0] == _f32(GAIN)
    assert list(tj[0, :2]) == [5, 6] and list(tw[0, :2]) == [_f32(0.4), _f32(0.3)]
    tj, tw = _tables(3)
    ties_.reinforce(tj, tw, np.array([0]), np.array([2]), GAIN, OTHER)  # different professions
    assert tj[0, K_SAME] == 2 and tj[2, K_SAME] == 0 and (tj[:, :K_SAME] == -1).all()


def test_a_new_tie_replaces_the_weakest_of_its_kind_only_if_weaker():
    tj, tw = _tables(40)
    tj[0, :K_SAME] = np.arange(10, 10 + K_SAME)
    tw[0, :K_SAME] = np.linspace(0.9, 0.5, K_SAME)
    tw[0, 3] = 0.05  # the weakest
    tw[0, 6] = 0.05  # equal weakest, later: the first is replaced
    ties_.reinforce(tj, tw, np.array([0]), np.array([3]), GAIN, SAME)
    assert tj[0, 3] == 3 and tw[0, 3] == _f32(GAIN)
    assert tj[0, 6] == 16 and tw[0, 6] == _f32(0.05)
    assert tj[3, 0] == 0 and tw[3, 0] == _f32(GAIN)
    # every tie of the kind stronger than a new one would be: no tie is made for that person
    tw[0, :K_SAME] = 0.4
    before = (tj[0].copy(), tw[0].copy())
    ties_.reinforce(tj, tw, np.array([0]), np.array([4]), GAIN, SAME)
    assert (tj[0] == before[0]).all() and (tw[0] == before[1]).all()
    assert tj[4, 0] == 0 and tw[4, 0] == _f32(GAIN), "the other end, with room, makes the tie"


def test_meeting_other_professions_never_touches_peer_ties():
    """Any number of encounters with other professions leaves every peer slot as it was; and no encounter
    lowers anyone's tie sums (a tie is replaced only by a stronger one)."""
    rng = np.random.default_rng(4)
    n = 60
    role = rng.integers(0, 4, n + 1).astype(np.int16)
    tj, tw = _tables(n)
    src, dst = rng.integers(0, n, 4000), rng.integers(0, n, 4000)
    keep = src != dst
    ties_.reinforce(tj, tw, src[keep], dst[keep], GAIN, role)  # a settled table, both kinds full
    assert (tj[:n, :K_SAME] >= 0).mean() > 0.9 and (tj[:n, K_SAME:] >= 0).mean() > 0.9
    assert ((role[np.maximum(tj[:n, :K_SAME], 0)] == role[:n, None]) | (tj[:n, :K_SAME] < 0)).all()
    assert ((role[np.maximum(tj[:n, K_SAME:], 0)] != role[:n, None]) | (tj[:n, K_SAME:] < 0)).all()
    peers = tj[:, :K_SAME].copy(), tw[:, :K_SAME].copy()
    sums = tw.sum(axis=1)
    a, b = rng.integers(0, n, 3000), rng.integers(0, n, 3000)
    cross = role[a] != role[b]
    ties_.reinforce(tj, tw, a[cross], b[cross], GAIN, role)
    assert (tj[:, :K_SAME] == peers[0]).all() and (tw[:, :K_SAME] == peers[1]).all()
    assert (tw.sum(axis=1) >= sums - 1e-6).all()
    sums = tw.sum(axis=1)
    same = (role[a] == role[b]) & (a != b)
    ties_.reinforce(tj, tw, a[same], b[same], GAIN, role)
    assert (tw.sum(axis=1) >= sums - 1e-6).all()


def test_a_model_keeps_peer_ties_in_the_peer_slots():
    from tests.helpers import run

    m = run(3, weeks=60, copies=2)
    s = m.staff
    tj = s.tie_j[: s.n]
    held = tj >= 0
    assert held.sum() > 500
    same = s.role[np.maximum(tj, 0)] == s.role[: s.n, None]
    assert (same[:, :K_SAME][held[:, :K_SAME]]).all() and not (same[:, K_SAME:][held[:, K_SAME:]]).any()
    ids = s.active_ids()
    assert np.allclose(ties_.same_role_strength(s.tie_j, s.tie_w, s.role, ids),
                       s.tie_w[ids, :K_SAME].sum(axis=1), atol=1e-5)


def test_encounters_are_applied_one_at_a_time():
    # two encounters of one pair in one batch both count: 1 - (1 - gain)^2 (a batch update would give gain)
    tj, tw = _tables(2)
    ties_.reinforce(tj, tw, np.array([0, 1]), np.array([1, 0]), GAIN, SAME)
    two = _f32(GAIN + GAIN * (1 - GAIN))
    assert tw[0, 0] == pytest.approx(two, abs=1e-7) and tw[1, 0] == pytest.approx(two, abs=1e-7)
    assert (tj[0, 1:] == -1).all() and (tj[1, 1:] == -1).all()  # one slot each
    # a person meeting two new colleagues with one free slot: the first takes it, the second replaces the
    # weakest (which, after the first update, is no longer the new tie if that is stronger)
    tj, tw = _tables(40)
    tj[0, : K_SAME - 1] = np.arange(10, 10 + K_SAME - 1)
    tw[0, : K_SAME - 1] = 0.5
    tw[0, 4] = 0.1
    ties_.reinforce(tj, tw, np.array([0, 0]), np.array([1, 2]), GAIN, SAME)
    assert tj[0, K_SAME - 1] == 1 and tw[0, K_SAME - 1] == _f32(GAIN)  # the empty slot
    assert tj[0, 4] == 2 and tw[0, 4] == _f32(GAIN)  # the weakest (0.1 < 0.15) was replaced next


def test_the_unrolled_and_generic_slot_searches_agree():
    rng = np.random.default_rng(8)
    n = 80
    role = rng.integers(0, 3, n + 1).astype(np.int16)
    src, dst = rng.integers(0, n, 6000), rng.integers(0, n, 6000)
    keep = src != dst
    t16 = _tables(n)
    ties_.reinforce(*t16, src[keep], dst[keep], GAIN, role)
    t17 = _tables(n, k=K_TIES + 1)  # another width: the generic loop, with the same split point
    ties_.reinforce(*t17, src[keep], dst[keep], GAIN, role, k_same=K_SAME)
    assert (t16[0][:, :K_SAME] == t17[0][:, :K_SAME]).all() and (t16[1][:, :K_SAME] == t17[1][:, :K_SAME]).all()


def test_decay_prunes_below_one_percent_and_sums_what_is_left():
    tj, tw = _tables(4, k=4)
    role = np.array([0, 0, 1, 1, -1], dtype=np.int16)  # the sentinel row has role -1
    tj[0], tw[0] = [1, 2, 3, -1], [0.5, 0.0105, 0.2, 0.0]  # slots 0-1 peers (k_same=2): 1 is a peer
    tj[0, 1] = -1
    tw[0, 1] = 0.0
    tj[0, 3], tw[0, 3] = 2, 0.0105
    tj[1], tw[1] = [0, -1, -1, -1], [0.5, 0, 0, 0]
    total, same = ties_.decay_and_strength(tj, tw, np.array([0, 1]), np.array([0.05, 0.1]), k_same=2)
    assert list(tj[0]) == [1, -1, 3, -1]  # 0.0105 x 0.95 = 0.009975 < 0.01: dropped
    assert tw[0, 0] == _f32(_f32(0.5) * _f32(0.95)) and tw[0, 3] == 0 and tw[0, 2] == _f32(_f32(0.2) * _f32(0.95))
    assert tw[1, 0] == _f32(_f32(0.5) * _f32(0.9))
    assert total[0] == pytest.approx(0.475 + 0.19, abs=1e-6) and same[0] == pytest.approx(0.475, abs=1e-6)
    assert total[1] == pytest.approx(0.45, abs=1e-6) and same[1] == pytest.approx(0.45, abs=1e-6)
    # the separate functions agree (and decay of every row, the old fast path)
    assert ties_.strength(tw, np.array([0, 1])) == pytest.approx(total)
    assert ties_.same_role_strength(tj, tw, role, np.array([0, 1])) == pytest.approx(same)
    ties_.decay(tj, tw, None, np.full(4, 0.5, dtype=np.float32))
    assert tw[0, 0] == _f32(tw[0, 0]) and list(tj[0]) == [1, -1, 3, -1]
    ties_.decay(tj, tw, np.array([0]), np.array([0.99]))
    assert (tj[0] == -1).all() and (tw[0] == 0).all()


def test_cut_leavers_returns_the_lost_strength():
    tj, tw = _tables(3, k=3)
    tj[0], tw[0] = [1, 2, -1], [0.8, 0.3, 0]
    tj[2], tw[2] = [0, 1, -1], [0.3, 0.4, 0]
    left = np.array([False, True, False, False])
    exposure = ties_.cut_leavers(tj, tw, np.array([0, 2]), left)
    assert exposure == pytest.approx([0.8, 0.4])
    assert list(tj[0]) == [-1, 2, -1] and list(tj[2]) == [0, -1, -1] and tw[0, 0] == 0 and tw[2, 1] == 0


# ---------------------------------------------------------------------------------------------- site records
def _reference_sites(ids, role, net, net_first, n_prac, split_first, split_n, has_base, base_share, n_roles):
    """The vectorised NumPy construction the kernel replaced (records sorted stably by practice and role)."""
    reps = split_n.astype(np.int64)
    owner = np.repeat(np.arange(len(ids)), reps)
    k = np.arange(len(owner)) - np.repeat(np.cumsum(reps) - reps, reps)
    practice = net_first[net[owner]] + (split_first[owner] + k) % n_prac[net[owner]]
    s = reps[owner]
    b = has_base[owner] & (s > 1)
    share = np.where(b, np.where(k == 0, base_share, (1 - base_share) / np.maximum(s - 1, 1)), 1.0 / s)
    order = np.lexsort((role[owner], practice))
    return owner[order], (practice * n_roles + role[owner])[order], share[order]


def _population(rng, n=400, n_networks=6, n_roles=4):
    n_prac = rng.integers(1, 6, n_networks)
    net_first = np.concatenate([[0], np.cumsum(n_prac)[:-1]])
    net = rng.integers(0, n_networks, n)
    role = rng.integers(0, n_roles, n)
    split_first = rng.integers(0, n_prac[net])
    split_n = np.minimum(rng.integers(1, 4, n), n_prac[net])
    has_base = rng.random(n) < 0.5
    return dict(ids=np.arange(n) * 2 + 1, role=role, net=net, net_first=net_first, n_prac=n_prac,
                split_first=split_first, split_n=split_n, has_base=has_base, base_share=0.6, n_roles=n_roles)


def test_site_records_match_the_reference_construction():
    pop = _population(np.random.default_rng(0))
    sites = pres.build_sites(**pop)
    owner, key, share = _reference_sites(**pop)
    assert (sites.owner == owner).all() and (sites.key == key).all() and np.allclose(sites.share, share)
    assert (sites.staff == pop["ids"][owner]).all()
    assert np.allclose(np.bincount(sites.owner, weights=sites.share), 1.0)  # each person's time sums to 1
    n_roles = pop["n_roles"]
    for r in range(len(key)):  # runs: same practice and profession; all: same practice
        assert (key[sites.same_lo[r]:sites.same_lo[r] + sites.same_n[r]] == key[r]).all()
        run = key[sites.all_lo[r]:sites.all_lo[r] + sites.all_n[r]] // n_roles
        assert (run == key[r] // n_roles).all() and sites.all_n[r] == (key // n_roles == key[r] // n_roles).sum()


@pytest.mark.parametrize("homophily", [0.6, np.array([0.0, 0.3, 0.9, 1.0, 0.5, 0.7])])
def test_site_encounters_are_the_counts_then_one_uniform_per_encounter(homophily):
    """The on-site kernel draws, network by network, what its definition says, written here in array
    operations: the Poisson counts of the records as :func:`poisson` draws them (one uniform per record with
    a positive mean, then the parts of means of 30 or more), then one uniform per encounter, record by
    record, choosing the partner's run and record and whether they are there. Some means are 30 or more and
    some 0, so every branch of the counts is taken; the counters end where the definition leaves them."""
    from pcnsim.mechanisms.encounters import poisson
    from pcnsim.streams import Streams

    g = np.random.default_rng(4)
    pop = _population(g)
    n_net = len(pop["net_first"])
    sites = pres.build_sites(**pop)
    n = len(pop["role"])
    onsite = np.where(g.random(n) < 0.1, 0.0, g.uniform(0.2, 1.0, n))
    week_days = np.where(g.random(n) < 0.05, g.uniform(60.0, 120.0, n), g.uniform(1.0, 12.0, n))
    net = pop["net"]
    a, b = Streams.from_seed(7, n_net)["onsite"], Streams.from_seed(7, n_net)["onsite"]
    src, dst, same = ties_.site_encounters(a, sites, net, onsite, week_days, homophily, with_same=True)
    # the definition
    here = onsite[sites.owner] * sites.share
    mean = week_days[sites.owner] * here
    rec_net = net[sites.owner]
    assert (mean >= 30).sum() > 3 and (mean == 0).sum() > 3 and (np.diff(rec_net) >= 0).all()
    count = poisson(b, rec_net, mean)
    h = np.broadcast_to(np.atleast_1d(homophily), (n_net,))[rec_net]
    rec = np.repeat(np.arange(len(mean)), count)
    x = b.uniforms(rec_net[rec])
    own = x < h[rec]
    runs = np.where(own, sites.same_n[rec], sites.all_n[rec])
    with np.errstate(divide="ignore", invalid="ignore"):
        yn = np.where(own, x / h[rec], (x - h[rec]) / (1.0 - h[rec])) * runs
    at = np.minimum(yn.astype(np.int64), runs - 1)
    j = np.where(own, sites.same_lo[rec], sites.all_lo[rec]) + at
    keep = (j != rec) & (yn - at < here[j])
    np.testing.assert_array_equal(src, sites.staff[rec][keep])
    np.testing.assert_array_equal(dst, sites.staff[j][keep])
    np.testing.assert_array_equal(same, (sites.key[j] == sites.key[rec])[keep])
    np.testing.assert_array_equal(a.counter, b.counter)
    assert len(src) > 300 and same.any() and not same.all()


def test_network_groups_sort_stably_by_network_and_role():
    rng = np.random.default_rng(1)
    net, role = rng.integers(0, 5, 300), rng.integers(0, 3, 300)
    ids = rng.permutation(1000)[:300]
    g = pres.network_groups(ids, net, role, 5, 3)
    assert (g.ids == ids[np.lexsort((role, net))]).all()
    assert (np.diff(g.start) == np.bincount(net * 3 + role, minlength=15)).all()


# ---------------------------------------------------------------------------------------------- encounters
def _one_network_sites(n_per_practice=(12, 9), onsite=None, roles=(0, 1)):
    """Two networks: network 0 has practices 0 and 1, network 1 has practice 2; everyone at one practice."""
    sizes = [*n_per_practice, 10]
    practice = np.repeat(np.arange(3), sizes)
    n = len(practice)
    net = np.where(practice < 2, 0, 1)
    role = np.resize(np.asarray(roles), n)
    ids = np.arange(n)
    sites = pres.build_sites(ids, role, net, np.array([0, 2]), np.array([2, 1]), practice - np.where(net == 0, 0, 2),
                             np.ones(n, dtype=np.int64), np.ones(n, dtype=bool), 0.6, 2)
    return ids, role, net, practice, sites, (np.ones(n) if onsite is None else onsite)


def test_encounters_only_between_co_present_staff_of_one_network():
    ids, role, net, practice, sites, onsite = _one_network_sites()
    onsite = onsite.copy()
    onsite[[0, 5, 14]] = 0.0  # fully remote: never met on site
    stream = _stream(3)
    src, dst = ties_.site_encounters(stream, sites, net, onsite, np.full(len(ids), 7.5), 0.6)
    assert len(src) > 100  # (about 28 people on site x 7.5 draws, most kept)
    assert (practice[src] == practice[dst]).all() and (net[src] == net[dst]).all()
    assert (src != dst).all()
    assert not np.isin(src, [0, 5, 14]).any() and not np.isin(dst, [0, 5, 14]).any()
    # remote encounters: within the network, never oneself; mixing: only with people taking part
    g = pres.network_groups(ids, net, role, 2, 2)
    s2, d2 = ties_.group_encounters(stream, g, ids, net, role, np.full(len(ids), 3.0), 0.5)
    assert len(s2) > 50 and (net[s2] == net[d2]).all() and (s2 != d2).all()
    part = np.zeros(len(ids), dtype=bool)
    part[::3] = True
    s3, d3 = ties_.group_encounters(stream, g, ids, net, role, np.where(part, 20.0, 0.0), 0.0, taking_part=part)
    assert len(s3) > 20 and part[s3].all() and part[d3].all()


def test_homophily_raises_the_same_profession_share():
    ids, role, net, practice, sites, onsite = _one_network_sites()

    def share(h):
        stream = _stream(5)
        src, dst = ties_.site_encounters(stream, sites, net, onsite, np.full(len(ids), 7.5), h)
        return (role[src] == role[dst]).mean(), len(src)

    low, n_low = share(0.0)
    high, n_high = share(0.9)
    assert high > low + 0.3
    assert low < 0.55 and high > 0.85  # about half of colleagues share a profession; 0.9 + 0.1 x half
    g = pres.network_groups(ids, net, role, 2, 2)
    stream = _stream(6)
    s1, d1 = ties_.group_encounters(stream, g, ids, net, role, np.full(len(ids), 5.0), 1.0)
    assert (role[s1] == role[d1]).all()


def test_same_generator_same_draws():
    ids, role, net, practice, sites, onsite = _one_network_sites(onsite=np.full(31, 0.7))
    wd = np.full(len(ids), 7.5)
    a, b = _stream(9), _stream(9)
    sa, da = ties_.site_encounters(a, sites, net, onsite, wd, 0.6)
    sb, db = ties_.site_encounters(b, sites, net, onsite, wd, 0.6)
    assert (sa == sb).all() and (da == db).all()
    assert (a.counter == b.counter).all() and (a.counter > 0).all()  # the streams advanced alike
    sc, dc = ties_.site_encounters(_stream(10), sites, net, onsite, wd, 0.6)
    assert len(sc) != len(sa) or (sc != sa).any() or (dc != da).any()
    ta, wa = _tables(len(ids))
    tb, wb = _tables(len(ids))
    ties_.reinforce(ta, wa, sa, da, GAIN, role)
    ties_.reinforce(tb, wb, sb, db, GAIN, role)
    assert (ta == tb).all() and (wa == wb).all()


@pytest.mark.parametrize("lam", [0.3, 3.4, 12.0, 29.9, 30.0, 45.0, 400.0])  # 30 and more: sums of parts
def test_poisson_counts_have_the_poisson_law(lam):
    n = 200_000
    x = ties_.poisson(_stream(11, 1), np.zeros(n, np.int64), np.full(n, lam))
    # sampling sd of the mean sqrt(lam / n); of the variance sqrt((mu4 - sigma^4) / n) = sqrt((lam + 2 lam^2) / n)
    assert abs(x.mean() - lam) < 4 * np.sqrt(lam / n)
    assert abs(x.var() - lam) < 4 * np.sqrt((lam + 2 * lam**2) / n)
    p0 = np.exp(-lam)
    assert abs((x == 0).mean() - p0) < 4 * np.sqrt(p0 * (1 - p0) / n) + 1e-12
    assert (ties_.poisson(_stream(1, 1), np.zeros(5, np.int64), np.zeros(5)) == 0).all()


def test_poisson_branch_free_head_gives_the_counts_of_the_plain_search():
    """The head (counts below POISSON_HEAD summed without a branch) is a faster route to the same inversion:
    every count, from small means to the largest inverted, equals the plain search's, for the same uniform."""
    rng = np.random.default_rng(3)
    mean = np.concatenate([rng.uniform(0.0, 2.0, 50_000), rng.uniform(0.0, ties_.POISSON_INVERSION_MAX, 50_000)])
    u = rng.random(len(mean))
    u[:100] = np.nextafter(1.0, 0.0)  # the far tail: the loop runs on past the head
    plain = ties_.poisson_inversion(mean, u, 0)
    head = ties_.poisson_inversion(mean, u, ties_.POISSON_HEAD)
    assert (plain >= ties_.POISSON_HEAD).sum() > 1000  # both routes of the head are exercised
    assert (plain < ties_.POISSON_HEAD).sum() > 1000
    np.testing.assert_array_equal(head, plain)


def test_poisson_small_means_skip_the_exp_without_changing_a_count():
    """For small means a uniform below 1 - mean is a count of 0 with no exp; at the edge (uniforms within a
    few units in the last place of 1 - mean and of exp(-mean)) every count is still the plain inversion's."""
    rng = np.random.default_rng(4)
    mean = np.concatenate([rng.uniform(0.0, 0.2, 40_000), 10.0 ** rng.uniform(-12, -1, 40_000)])
    p0 = np.exp(-mean)
    u = rng.random(len(mean))
    edge = np.arange(0, len(mean), 4)  # a quarter of the uniforms sit at the edges, a few ulps either side
    u[edge] = np.where(edge % 8 == 0, 1.0 - mean[edge], p0[edge]) + rng.integers(-6, 7, len(edge)) * 2.0**-53
    u = np.clip(u, 0.0, np.nextafter(1.0, 0.0))
    got = ties_.poisson_inversion(mean, u, 0)
    np.testing.assert_array_equal(got, np.where(u < p0, 0, got))  # zero exactly where u < P(0) (as computed)
    assert ((u >= p0) == (got > 0)).all() and (got > 0).sum() > 1000


def test_mean_encounters_per_person_follow_the_rate():
    """Encounters a person starts in a week: Poisson(5 x contacts_per_day x FTE x on-site share) draws, each
    kept if the partner drawn is someone else and there (chance: their on-site share). With everyone at one
    practice, on site a share o of the time, and homophily 0: mean 5 c FTE o x (n - 1) / n x o."""
    n, contacts, o = 40, 1.5, 0.6
    fte = np.where(np.arange(n) % 2 == 0, 1.0, 0.5)
    ids, role, net = np.arange(n), np.arange(n) % 3, np.zeros(n, dtype=np.int64)
    sites = pres.build_sites(ids, role, net, np.array([0]), np.array([1]), np.zeros(n, dtype=np.int64),
                             np.ones(n, dtype=np.int64), np.ones(n, dtype=bool), 0.6, 3)
    stream = _stream(12)
    weeks = 400
    started = np.zeros(n)
    for _ in range(weeks):
        src, _dst = ties_.site_encounters(stream, sites, net, np.full(n, o), 5 * contacts * fte, 0.0)
        started += np.bincount(src, minlength=n)
    mean = 5 * contacts * fte * o * (n - 1) / n * o  # per person and week
    # kept encounters are a thinned Poisson, so Poisson too: the total over people and weeks has variance = mean
    expected = weeks * mean.sum()
    assert abs(started.sum() - expected) < 4 * np.sqrt(expected)
    for f in (1.0, 0.5):  # and per FTE group
        sel = fte == f
        e = weeks * mean[sel].sum()
        assert abs(started[sel].sum() - e) < 4 * np.sqrt(e)


def test_no_writable_cache_warns_and_still_runs():
    """With nowhere to cache (read-only install, no writable home), Numba refuses ``cache=True``; pcnsim
    then compiles in memory with a warning instead of failing at import."""
    import subprocess
    import sys
    from pathlib import Path

    import numba.core.config as ncfg

    if not hasattr(ncfg, "CACHE_LOCATOR_CLASSES"):
        pytest.skip("this Numba cannot override its cache locators")
    code = ("import warnings; warnings.simplefilter('always')\n"
            "from tests.helpers import run\n"
            "print(run(2, weeks=8).headcount)\n")
    env = {"PATH": "", "NUMBA_CACHE_LOCATOR_CLASSES": "tests._no_numba_cache.NoCacheLocator"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=str(Path(__file__).parents[1]), timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Numba cannot write a cache" in out.stderr
    assert int(out.stdout.split()[-1]) > 0


def test_encounters_follow_the_rate_with_homophily_and_mixed_presence():
    """The same check with two professions, homophily 0.5 and on-site shares from 0.2 to 1: person p starts
    Poisson(5 c FTE_p o_p) draws, each kept with chance sum_j P(p draws j) o_j over colleagues j != p."""
    n, contacts, h = 30, 1.5, 0.5
    role = np.arange(n) % 2
    o = np.linspace(0.2, 1.0, n)
    fte = np.ones(n)
    ids, net = np.arange(n), np.zeros(n, dtype=np.int64)
    sites = pres.build_sites(ids, role, net, np.array([0]), np.array([1]), np.zeros(n, dtype=np.int64),
                             np.ones(n, dtype=np.int64), np.ones(n, dtype=bool), 0.6, 2)
    same = role[:, None] == role[None, :]
    pick = h * same / same.sum(axis=1, keepdims=True) + (1 - h) / n  # P(p draws j), self included
    kept = (pick * o[None, :] * ~np.eye(n, dtype=bool)).sum(axis=1)
    mean = 5 * contacts * fte * o * kept
    stream = _stream(13)
    weeks = 400
    started = np.zeros(n)
    same_pairs = 0
    for _ in range(weeks):
        src, dst = ties_.site_encounters(stream, sites, net, o, 5 * contacts * fte, h)
        started += np.bincount(src, minlength=n)
        same_pairs += (role[src] == role[dst]).sum()
    for sel in (np.ones(n, dtype=bool), o < 0.5, o >= 0.5, role == 0):
        e = weeks * mean[sel].sum()
        assert abs(started[sel].sum() - e) < 4 * np.sqrt(e), (started[sel].sum(), e)
    # the share of kept encounters within a profession: expected from the same law
    w_same = (pick * o[None, :] * ~np.eye(n, dtype=bool) * same).sum(axis=1)
    p_same = (5 * contacts * o * w_same).sum() / mean.sum()
    tot = started.sum()
    assert abs(same_pairs / tot - p_same) < 4 * np.sqrt(p_same * (1 - p_same) / tot)


def test_encounter_kernels_flag_pairs_of_one_profession():
    """The site and group kernels say, per encounter, whether the pair share a profession (so tie updates
    need not look roles up): the flags are exactly the role equality of the pair."""
    ids, role, net, practice, sites, onsite = _one_network_sites(roles=(0, 1, 1))
    stream = _stream(12)
    src, dst, same = ties_.site_encounters(stream, sites, net, onsite, np.full(len(ids), 7.5), 0.5, with_same=True)
    assert len(src) > 100 and same.any() and (~same).any()
    assert np.array_equal(same, role[src] == role[dst])
    g = pres.network_groups(ids, net, role, 2, 2)
    s2, d2, same2 = ties_.group_encounters(stream, g, ids, net, role, np.full(len(ids), 4.0), 0.3, with_same=True)
    # (expected 113.6 kept encounters: 31 people x 4 draws, less draws of oneself; sd about 11)
    assert len(s2) > 80 and np.array_equal(same2, role[s2] == role[d2])
