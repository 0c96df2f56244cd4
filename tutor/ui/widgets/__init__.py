"""Widgets shared by the screens (styled in tutor/ui/tutor.tcss)."""
