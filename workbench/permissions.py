"""The role matrix: which role may do what. Routes ask for a permission through deps.require."""

from __future__ import annotations

import enum

from workbench.models import Role


class Permission(str, enum.Enum):
    view_studies = "view_studies"  # studies list and study overview
    view_interviews = "view_interviews"  # interview pages, transcripts, audio, jobs
    create_study = "create_study"
    upload = "upload"  # add interviews with their recordings
    edit_metadata = "edit_metadata"
    edit_transcript = "edit_transcript"  # correct text, rename speakers
    manage_users = "manage_users"


_INTERVIEWER = {
    Permission.view_studies,
    Permission.view_interviews,
    Permission.create_study,
    Permission.upload,
    Permission.edit_metadata,
}

MATRIX: dict[Role, frozenset[Permission]] = {
    Role.admin: frozenset(Permission),
    Role.interviewer: frozenset(_INTERVIEWER),
    Role.analyst: frozenset(_INTERVIEWER | {Permission.edit_transcript}),
    # Managers read reports and stories; until those exist they see the studies only.
    Role.manager: frozenset({Permission.view_studies}),
}

PERMISSION_LABELS = {
    Permission.view_studies: "see studies",
    Permission.view_interviews: "open interviews, transcripts and recordings",
    Permission.create_study: "create studies",
    Permission.upload: "upload recordings",
    Permission.edit_metadata: "edit interview metadata",
    Permission.edit_transcript: "correct transcripts and speakers",
    Permission.manage_users: "manage users",
}

ROLE_HELP = {
    Role.interviewer: "creates studies, uploads recordings and edits their metadata, reads transcripts",
    Role.analyst: "everything an interviewer does, and corrects transcripts and speakers",
    Role.manager: "reads studies (and, as they arrive, reports and stories); changes nothing",
    Role.admin: "everything, and manages users",
}


def can(role: Role | str, permission: Permission) -> bool:
    return permission in MATRIX[Role(role)]
