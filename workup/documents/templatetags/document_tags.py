"""Small helpers for the printed documents."""

from django import template

register = template.Library()


@register.filter
def by_number(keys, numbers):
    """Source keys in the order of their reference numbers, so a group reads [1][8], not [8][1]."""
    return sorted((k for k in keys if k in numbers), key=numbers.get)


@register.filter
def css_string(value):
    """Text made safe inside a double-quoted CSS string: quotes, backslashes, control and
    markup characters become CSS escapes, so a patient's name cannot end the string."""
    out = []
    for char in str(value):
        if char in '"\\<>' or ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\{ord(char):06x}")
        else:
            out.append(char)
    return "".join(out)
