"""A local AWS emulator for mlperimeter: moto's server plus what moto lacks."""
