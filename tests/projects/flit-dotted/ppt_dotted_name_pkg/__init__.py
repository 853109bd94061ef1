"""Sample module for a dotted project name."""


def name() -> str:
    return "Ppt.Dotted_Name-Pkg"
