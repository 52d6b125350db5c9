package natsbroker

// Kill stops b as a killed process would stop: no last writes, no goodbye.
func (b *Broker) Kill() { b.stop() }
