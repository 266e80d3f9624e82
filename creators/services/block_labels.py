"""A page block's human label ("Trail runner X", "Desk setup look"), wherever a block is named.

Blocks live in ``content`` (the floor above), so content registers the function that reads its
pages (``content.services.block_labels.page_block_labels``, the one that decides a label) when
its app is ready; reports, earnings and the link form of ``creators`` ask here.
"""

from collections.abc import Callable, Iterable

BlockKey = tuple[int, str]
BlockDirectory = Callable[[set[int]], dict[BlockKey, str]]

_directory: BlockDirectory | None = None


def register_block_directory(directory: BlockDirectory) -> None:
    global _directory
    _directory = directory


def block_labels(page_ids: Iterable[int | None]) -> dict[BlockKey, str]:
    """{(page id, block id): label} for every block of the pages' latest content, in page order."""
    wanted = {page_id for page_id in page_ids if page_id}
    if not wanted or _directory is None:
        return {}
    return _directory(wanted)


def label_of(labels: dict[BlockKey, str], page_id: int | None, block_id: str) -> str:
    """The label from ``labels``; a block no page has any more keeps its short id."""
    if not block_id:
        return ""
    return labels.get((page_id, block_id)) or f"block {block_id[:8]}"
