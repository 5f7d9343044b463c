from django import forms

from .models import ApiToken


class TokenForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["name"]
        labels = {"name": "What the token is for"}
        help_texts = {"name": "For example the laboratory system's name; shown in the list."}
