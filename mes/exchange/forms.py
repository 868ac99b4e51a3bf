from __future__ import annotations

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from .services import FORMATS, MAX_FILE_BYTES, format_of


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(f".{key}" for key in FORMATS)}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("CSV (UTF-8) or Excel XLSX, at most %(size)s.") % {
            "size": filesizeformat(MAX_FILE_BYTES)
        }

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if format_of(upload.name) is None:
            raise forms.ValidationError(
                _("“%(name)s” is not a CSV or XLSX file.") % {"name": upload.name}
            )
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)s; at most %(max)s can be imported.")
                % {"size": filesizeformat(upload.size), "max": filesizeformat(MAX_FILE_BYTES)}
            )
        return upload


class ConfirmForm(forms.Form):
    """Names the previewed upload, so a stale preview page cannot import another file."""

    upload = forms.RegexField(regex=r"^[0-9a-f]{32}$", widget=forms.HiddenInput)
