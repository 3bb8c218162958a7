"""Foreign recordings read without their native stacks: ROS bags and MCAP, CAN logs."""
