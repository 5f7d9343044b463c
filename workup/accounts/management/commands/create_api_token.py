"""manage.py create_api_token USERNAME [--name NAME]: issue an API token, shown once."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from workup.accounts.models import ApiToken


class Command(BaseCommand):
    help = "Issue an API token for a user. The token is printed once and stored only as a hash."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="command line")

    def handle(self, *args, username, name, **options):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        token, raw = ApiToken.issue(user=user, name=name)
        self.stdout.write(f"Token for {username} ({name}), shown once: {raw}")
