"""The role matrix: which role may do what. Routes ask for a permission through deps.require."""

from __future__ import annotations

import enum

from workbench.models import Role


class Permission(enum.StrEnum):
    view_studies = "view_studies"  # studies list and study overview
    view_interviews = "view_interviews"  # interview pages, transcripts, audio, jobs
    create_study = "create_study"
    upload = "upload"  # add interviews with their recordings
    edit_metadata = "edit_metadata"
    edit_transcript = "edit_transcript"  # correct text, rename speakers
    view_coding = "view_coding"  # codebook, answers per question, agreement
    code = "code"  # review codes, edit the codebook, discover themes, retrain the coder
    view_reports = "view_reports"  # the study report (web and PDF) and approved stories
    edit_stories = "edit_stories"  # see drafts, edit, pin quotes, approve stories; update close-the-loop status
    manage_users = "manage_users"
    # see names, phone numbers, IBANs… in a study that redacts personal data; mark missed or over-redacted items
    view_personal_data = "view_personal_data"
    audit = "audit"  # read and export the audit log, erase a respondent's or account's data, apply retention


_INTERVIEWER = {
    Permission.view_studies,
    Permission.view_coding,
    Permission.view_reports,
    Permission.view_interviews,
    Permission.create_study,
    Permission.upload,
    Permission.edit_metadata,
    Permission.view_personal_data,
}

MATRIX: dict[Role, frozenset[Permission]] = {
    Role.admin: frozenset(Permission),
    Role.interviewer: frozenset(_INTERVIEWER),
    Role.analyst: frozenset(_INTERVIEWER | {Permission.edit_transcript, Permission.view_coding, Permission.code,
                                            Permission.edit_stories}),
    # Managers read reports, approved stories and the codebook; they change nothing.
    Role.manager: frozenset({Permission.view_studies, Permission.view_coding, Permission.view_reports}),
}

PERMISSION_LABELS = {
    Permission.view_studies: "see studies",
    Permission.view_interviews: "open interviews, transcripts and recordings",
    Permission.create_study: "create studies",
    Permission.upload: "upload recordings",
    Permission.edit_metadata: "edit interview metadata",
    Permission.edit_transcript: "correct transcripts and speakers",
    Permission.view_coding: "see the codebook, answers per question and coding agreement",
    Permission.code: "review codes, edit the codebook, discover themes and retrain the coder",
    Permission.view_reports: "read the study report and approved customer stories",
    Permission.edit_stories: "edit and approve customer stories and follow up the close-the-loop list",
    Permission.manage_users: "manage users",
    Permission.view_personal_data: "see personal data in studies that redact it, and correct the redaction",
    Permission.audit: "read the audit log, erase personal data and apply the retention rule",
}

ROLE_HELP = {
    Role.interviewer: "creates studies, uploads recordings and edits their metadata, reads transcripts",
    Role.analyst: "everything an interviewer does, corrects transcripts and speakers, codes answers, and writes "
                  "and approves customer stories",
    Role.manager: "reads studies, reports, approved stories, the codebook and agreement; changes nothing; "
                  "sees personal data only as placeholders where a study redacts it",
    Role.admin: "everything, manages users, reads the audit log and erases personal data",
}


def can(role: Role | str, permission: Permission) -> bool:
    return permission in MATRIX[Role(role)]
