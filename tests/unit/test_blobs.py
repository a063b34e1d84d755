"""Pieces of a file from another node: any order, repeats, and two pieces finishing at once."""

import hashlib
import os
import threading

from shared.blobs import BlobStore


def pieces(data: bytes, size: int) -> list[tuple[int, bytes]]:
    return [(o, data[o : o + size]) for o in range(0, len(data), size)]


def test_pieces_in_any_order_and_twice_make_the_file_once_its_checksum_is_right(tmp_path):
    store = BlobStore(tmp_path)
    data = os.urandom(10_000)
    sha = hashlib.sha256(data).hexdigest()
    parts = pieces(data, 3000)
    assert [store.receive_part(sha, len(data), o, d) for o, d in (parts[3], parts[0], parts[0])] == [False] * 3
    assert not store.exists(sha)  # full size reached early (the last piece came first), holes remain: not kept
    assert store.receive_part(sha, len(data), *parts[2]) is False
    assert store.receive_part(sha, len(data), *parts[1]) is True
    assert store.path(sha).read_bytes() == data
    assert store.receive_part(sha, len(data), *parts[2]) is True  # a late repeat
    assert not (tmp_path / "incoming" / sha).exists()


def test_a_wrong_piece_keeps_the_file_out_until_a_right_one_replaces_it(tmp_path):
    store = BlobStore(tmp_path)
    data = os.urandom(4000)
    sha = hashlib.sha256(data).hexdigest()
    assert store.receive_part(sha, len(data), 0, b"x" * 2000) is False
    assert store.receive_part(sha, len(data), 2000, data[2000:]) is False  # whole size, wrong bytes
    assert store.receive_part(sha, len(data), 0, data[:2000]) is True


def test_pieces_handled_at_the_same_time_all_end_with_the_file_in_place(tmp_path):
    for i in range(20):
        _all_pieces_at_once(BlobStore(tmp_path / str(i)))


def _all_pieces_at_once(store: BlobStore) -> None:
    data = os.urandom(50_000)
    sha = hashlib.sha256(data).hexdigest()
    results: list[bool] = []
    errors: list[Exception] = []

    def put(offset: int, chunk: bytes) -> None:
        try:
            results.append(store.receive_part(sha, len(data), offset, chunk))
        except Exception as exc:  # a race must not surface as an error
            errors.append(exc)

    threads = [threading.Thread(target=put, args=p) for p in pieces(data, 10_000) * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and any(results)
    assert store.path(sha).read_bytes() == data
