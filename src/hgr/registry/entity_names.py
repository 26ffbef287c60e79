"""The names of the registry's entities, in the order listings show them.

Kept apart from ``queries`` (which builds each entity's query on SQLAlchemy) so that the command
line can name them in its help without loading the database layer.
"""

ENTITY_NAMES = (
    "regions",
    "institutions",
    "collections",
    "donors",
    "samples",
    "consents",
    "ethics",
    "families",
    "members",
    "files",
)

# The entities whose history can be asked for (hgr history), and the table each is kept under.
HISTORY_TABLES = {
    "donors": "donor",
    "samples": "sample",
    "collections": "collection",
    "families": "family",
    "institutions": "institution",
}
