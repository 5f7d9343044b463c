import secrets

from django import forms
from django.db import transaction
from django.utils.translation import gettext_lazy

from workup.audit.models import DownloadRecord
from workup.audit.services import record_download

from . import roles
from .models import ApiToken, Colleague


class TokenForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["name"]
        labels = {"name": gettext_lazy("What the token is for")}
        help_texts = {
            "name": gettext_lazy("For example the laboratory system's name; shown in the list.")
        }


ROLE_CHOICES = [
    (roles.CLINICIAN, "Clinician"),
    (roles.COORDINATOR, "Coordinator"),
    (roles.LEAD, "Clinical lead"),
]


class ColleagueForm(forms.ModelForm):
    """What the lead may set: role, active status, name and email. Nothing else is a field, so
    nothing else can be posted: no superuser or staff flag, no group, no password."""

    role = forms.ChoiceField(choices=ROLE_CHOICES, label=gettext_lazy("Role"))

    class Meta:
        model = Colleague
        fields = ["username", "first_name", "last_name", "email", "is_active"]
        labels = {"is_active": gettext_lazy("Active (may sign in)")}
        help_texts = {
            "username": gettext_lazy("Used to sign in; it cannot be changed later."),
            "is_active": gettext_lazy(
                "Untick when someone leaves: they can no longer sign in, their sessions and API "
                "tokens end, and their name stays on everything they did."
            ),
        }

    def __init__(self, *args, by, **kwargs):
        super().__init__(*args, **kwargs)
        self.by = by
        editing = self.instance.pk is not None
        for name in ("first_name", "last_name", "email"):
            self.fields[name].required = name != "email" or not editing
        if editing:
            self.fields["username"].disabled = True
            self.fields["role"].initial = roles.role_of(self.instance)
            if self.instance.last_login is not None:
                # Otherwise the lead could point someone's password reset at their own mailbox.
                self.fields["email"].disabled = True
                self.fields["email"].help_text = (
                    "Set by the user, or on the server (manage.py create_user USERNAME --update "
                    "--email ...), once they have signed in: so that no one else can redirect "
                    "their password resets."
                )
            if self.instance.pk == by.pk:
                for name in ("role", "is_active"):
                    self.fields[name].disabled = True
                    self.fields[name].help_text = "Another lead changes your own role and status."
        else:
            del self.fields["is_active"]

    def clean_email(self):
        email = self.cleaned_data.get("email", "").strip()
        if email and not self.fields["email"].disabled:
            taken = Colleague.objects.filter(email__iexact=email).exclude(pk=self.instance.pk)
            if taken.exists():
                raise forms.ValidationError(gettext_lazy("Another user has this email address."))
        return email

    @transaction.atomic
    def save(self, commit=True):
        created = self.instance.pk is None
        changes = self.changes(created)
        user = super().save(commit=False)
        if created:
            # A password no one knows; the user sets their own from the emailed link.
            user.set_password(secrets.token_urlsafe(32))
        user.save()
        if not self.fields["role"].disabled:
            roles.assign_role(user, self.cleaned_data["role"])
        if changes:
            # Who gave whom which role, and when: on the audit chain with the reads.
            record_download(
                user=self.by,
                kind=DownloadRecord.Kind.USER_CHANGE,
                detail={"account": user.get_username(), "changes": changes},
            )
        return user

    def changes(self, created) -> list[str]:
        if created:
            return [f"created with role {self.cleaned_data['role']}"]
        out = []
        for name in self.changed_data:
            field = self.fields[name]
            if field.disabled:
                continue
            before, after = self.get_initial_for_field(field, name), self.cleaned_data.get(name)
            out.append(f"{field.label}: {before if before not in (None, '') else '—'} → {after}")
        return out
