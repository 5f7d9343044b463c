"""The three roles as Django groups with permissions.

Views check permissions (``permission_required``), never group names. The groups are created or
brought up to date after every ``migrate``.
"""

from django.contrib.auth.models import Group, Permission

CLINICIAN = "clinician"
COORDINATOR = "coordinator"
LEAD = "lead"
# A laboratory's interface (its MLLP-to-HTTP bridge): sends results, sees nothing.
LAB_INTERFACE = "lab_interface"
ROLES = (CLINICIAN, COORDINATOR, LEAD, LAB_INTERFACE)

_CATALOGUE_MODELS = (
    "catalogueversion",
    "source",
    "investigation",
    "nextstep",
    "addon",
    "implantationchance",
    "parameter",
    "statement",
)

ROLE_PERMISSIONS = {
    CLINICIAN: [
        "clinic.view_patient",
        "clinic.add_patient",
        "clinic.change_patient",
        "clinic.view_workup",
        "clinic.add_workup",
        "clinic.change_workup",
        "clinic.record_findings",
        "clinic.sign_workup",
        "clinic.counsel_addon",
        "clinic.manage_steps",
        "evidence.run_assessment",
        *[f"evidence.view_{m}" for m in _CATALOGUE_MODELS],
        "interop.adjudicate_results",
        # An EMR calls the CDS Hooks services with a clinician account's API token.
        "guardrail.use_cds_hooks",
    ],
    COORDINATOR: [
        "clinic.view_patient",
        "clinic.view_workup",
        "clinic.manage_steps",
        "clinic.export_queue",
        "evidence.run_assessment",
    ],
    LEAD: [
        "clinic.view_patient",
        "clinic.view_workup",
        "clinic.view_audit",
        "guardrail.view_quality",
        "evidence.run_assessment",
        "evidence.review_catalogue",
        "evidence.view_reviewrecord",
        # Translations of the patient texts: read, edit (back to unreviewed) and confirm.
        "evidence.review_translation",
        "evidence.view_cataloguetranslation",
        "evidence.change_cataloguetranslation",
        *[
            f"evidence.{action}_{m}"
            for m in _CATALOGUE_MODELS
            for action in ("view", "add", "change", "delete")
            if (action, m) != ("add", "catalogueversion")
        ],
        # Users: role, active status and contact details, on the app's users page. Never the
        # stock user admin (superuser flags, groups, passwords): that is for superusers only.
        "accounts.manage_users",
        # API tokens: list and revoke (the admin's "change" action), never issue one for
        # someone else; each user makes their own on the app's token page.
        "accounts.view_apitoken",
        "accounts.change_apitoken",
        # Sign-in attempts and lockouts (django-axes): deleting a lockout unlocks the user.
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        "axes.view_accesslog",
        # The code table and the add-ons' order names (reviewed like the catalogue), the
        # laboratories' code table and the clinic EMR's order codes.
        "interop.view_coding",
        "interop.change_coding",
        "interop.view_ordermapping",
        "interop.change_ordermapping",
        *[
            f"interop.{a}_{m}"
            for m in ("labcodemapping", "emrordercode")
            for a in ("view", "add", "change", "delete")
        ],
    ],
    LAB_INTERFACE: ["interop.submit_results"],
}

# The lead works in the Django admin (catalogue, users); the other roles never see it.
STAFF_ROLES = {LEAD}


def _permission(dotted):
    app_label, codename = dotted.split(".", 1)
    try:
        return Permission.objects.get(content_type__app_label=app_label, codename=codename)
    except Permission.DoesNotExist:
        raise LookupError(f"Permission {dotted} does not exist; run migrate.") from None


def ensure_roles():
    """Create the groups and give each exactly its permissions."""
    groups = {}
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set([_permission(p) for p in perms])
        groups[role] = group
    return groups


def ensure_roles_after_migrate(sender, **kwargs):
    ensure_roles()


def assign_role(user, role):
    """Give a user one role (replacing any other) and the staff flag the role needs."""
    if role not in ROLES:
        raise ValueError(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}.")
    groups = {g.name: g for g in Group.objects.filter(name__in=ROLES)}
    if len(groups) < len(ROLES):  # migrate creates them; this covers a database made otherwise
        groups = ensure_roles()
    user.groups.remove(*[g for name, g in groups.items() if name != role])
    user.groups.add(groups[role])
    user.is_staff = role in STAFF_ROLES or user.is_superuser
    user.save(update_fields=["is_staff"])


# The backend that answers permission questions (see settings.AUTHENTICATION_BACKENDS).
PERMISSION_BACKEND = "workup.accounts.backends.ModelBackendOneQuery"


def people_with(perm):
    """Active users who hold a permission (through their role, or given directly), by name.

    Superusers count only through a role: a support account is nobody's colleague.
    """
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.with_perm(perm, include_superusers=False, backend=PERMISSION_BACKEND)
        .order_by("first_name", "last_name", "username")
    )


def role_of(user):
    names = [g.name for g in user.groups.all() if g.name in ROLES]
    return names[0] if names else None
