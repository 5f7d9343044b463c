from django import forms
from django.utils.translation import gettext_lazy

from .models import ReviewStatus


class ReviewForm(forms.Form):
    """The lead's confirmation of one entry, carrying the version of the text they read."""

    note = forms.CharField(
        label=gettext_lazy("Note (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("What you checked, or why you return it; kept with the review."),
    )
    status = forms.ChoiceField(
        choices=[
            (ReviewStatus.VERIFIED, gettext_lazy("Confirm: verified")),
            (ReviewStatus.PENDING, gettext_lazy("Return to pending review")),
        ],
        widget=forms.HiddenInput,
    )
    seen = forms.CharField(widget=forms.HiddenInput)
