#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In-guest part of `make demo` (filled in below).
echo demo
