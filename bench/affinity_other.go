//go:build !linux

package main

import "errors"

func pinSelf(int) error { return errors.New("CPU pinning needs Linux") }

func unpinSelf() error { return errors.New("CPU pinning needs Linux") }
