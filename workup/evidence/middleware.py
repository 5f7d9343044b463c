"""A catalogue that cannot be served answers 503 with the reason, never a 500."""

from workup.accounts.middleware import refuse

from .store import CatalogueMissing


class CatalogueUnavailableMiddleware:
    """Turns ``CatalogueMissing`` (not loaded, or broken with no good copy kept) into a page
    (or, for the API, JSON) that says what is wrong and who can fix it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, CatalogueMissing):
            return refuse(
                request, 503, "catalogue", "The evidence catalogue is unavailable", str(exception)
            )
        return None
