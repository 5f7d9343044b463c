from django import forms

from .models import ReviewStatus


class ReviewForm(forms.Form):
    """The lead's confirmation of one entry, carrying the version of the text they read."""

    note = forms.CharField(
        label="Note (optional)",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What you checked, or why you return it; kept with the review.",
    )
    status = forms.ChoiceField(
        choices=[
            (ReviewStatus.VERIFIED, "Confirm: verified"),
            (ReviewStatus.PENDING, "Return to pending review"),
        ],
        widget=forms.HiddenInput,
    )
    seen = forms.CharField(widget=forms.HiddenInput)
