"""manage.py create_user USERNAME --role clinician|coordinator|lead"""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from workup.accounts.roles import ROLES, assign_role


class Command(BaseCommand):
    help = "Create a user with a role (or, with --update, change an existing user's role)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=ROLES)
        parser.add_argument("--email", default="")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument(
            "--password",
            help="initial password; without it a strong one is generated and printed once",
        )
        parser.add_argument(
            "--update", action="store_true", help="change the role of an existing user"
        )

    @transaction.atomic
    def handle(self, *args, username, role, email, first_name, last_name, password, update, **o):
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is not None and not update:
            raise CommandError(f"User {username!r} exists; use --update to change the role.")
        created = user is None
        if created:
            user = User(username=username)
        for field, value in (
            ("email", email),
            ("first_name", first_name),
            ("last_name", last_name),
        ):
            if value:
                setattr(user, field, value)
        generated = False
        if password is None and created:
            password = secrets.token_urlsafe(12)
            generated = True
        if password is not None:
            try:
                validate_password(password, user)
            except ValidationError as exc:
                raise CommandError("Password refused: " + " ".join(exc.messages)) from None
            user.set_password(password)
        user.save()
        assign_role(user, role)
        verb = "Created" if created else "Updated"
        self.stdout.write(f"{verb} {username} with role {role}.")
        if generated:
            self.stdout.write(f"Password (shown once): {password}")
