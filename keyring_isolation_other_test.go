//go:build !linux

package main

func removeKeyctlKeyring(string) {}
